/**
 * The bulk sync as the benchmark measures it: the real CLI command (`contact-bridge sync`) in
 * a process of its own, reporting its peak resident memory when it ends.
 */
import { main } from '../sidecar/src/entry-points/cli/main';

main(['sync']).then(
  (code) => {
    // resourceUsage().maxRSS is in kilobytes: the process's peak resident set (VmHWM).
    process.stdout.write(`BENCH_RESULT ${JSON.stringify({ code, maxRssKb: process.resourceUsage().maxRSS })}\n`);
    process.exit(code);
  },
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
    process.exit(1);
  },
);
