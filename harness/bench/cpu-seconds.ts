/**
 * CPU seconds (user + system) a process has used so far, from /proc/PID/stat: the same measure
 * for every proxy, whatever it is written in. Fields 14 and 15 count clock ticks of 1/100 s
 * (USER_HZ, fixed at 100 on Linux).
 */
import { readFileSync } from 'node:fs';

export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) may contain spaces: count fields after its closing parenthesis.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}
