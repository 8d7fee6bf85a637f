/**
 * A CLI command as the benchmark measures it (`contact-bridge sync` by default, or the command
 * given, e.g. `health`): the real CLI in a process of its own, reporting how long the command
 * took and its peak resident memory when it ends.
 */
import { exitAfterOutput, main } from '../sidecar/src/entry-points/cli/main';

const args = process.argv.length > 2 ? process.argv.slice(2) : ['sync'];
const started = process.hrtime.bigint();
main(args).then(
  (code) => {
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    // resourceUsage().maxRSS is in kilobytes: the process's peak resident set (VmHWM).
    process.stdout.write(`BENCH_RESULT ${JSON.stringify({ code, seconds, maxRssKb: process.resourceUsage().maxRSS })}\n`);
    exitAfterOutput(code);
  },
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
    process.exit(1);
  },
);
