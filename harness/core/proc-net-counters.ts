/**
 * The kernel's counter files /proc/net/snmp and /proc/net/netstat (Linux): pairs of lines, a
 * header of names and a line of values, each starting with its section (`Tcp:`, `Udp:`,
 * `TcpExt:`…). Read host-wide by the UDP workloads (metrics/kernel-udp-counters.ts) and per
 * namespace on a wire path (wire/kernel-counters.ts).
 */

/** Counters by section (`Tcp`, `Udp`, `TcpExt`, `IpExt`, …) and name, as the kernel spells them. */
export type KernelCounters = Record<string, Record<string, number>>;

/** Parses the header/value line pairs of /proc/net/snmp and /proc/net/netstat. */
export function parseProcNetCounters(text: string, into: KernelCounters = {}): KernelCounters {
  const lines = text.split('\n');
  for (let i = 0; i + 1 < lines.length; i += 2) {
    const names = lines[i]!.trim().split(/\s+/);
    const values = lines[i + 1]!.trim().split(/\s+/);
    const section = names[0]?.replace(/:$/, '');
    if (!section || values[0] !== names[0]) continue;
    const counters = (into[section] ??= {});
    for (let k = 1; k < names.length; k++) {
      const value = Number(values[k]);
      if (Number.isFinite(value)) counters[names[k]!] = value;
    }
  }
  return into;
}
