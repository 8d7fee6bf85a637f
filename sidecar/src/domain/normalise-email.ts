/**
 * The one way the bridge compares addresses: trimmed and lowercased. Two addresses are the
 * same exactly when their normalised forms are equal as strings — unlike the database's
 * unicode_ci collations, which also equate josé@ with jose@ and ß with ss.
 */
export function normaliseEmail(raw: string | null | undefined): string {
  return (raw ?? '').trim().toLowerCase();
}
