/**
 * registerProcessMetrics: the usual process metrics (names as Prometheus client libraries use
 * them). In Node: CPU seconds, resident memory, heap, start time, uptime. In a browser there is
 * no `process`: only the start time and, where Chromium offers `performance.memory`, the JS heap.
 * Safe to import in both runtimes (no Node module is imported).
 */
import type { MetricsRegistry } from './metrics.ts';

interface NodeProcessLike {
  cpuUsage(): { user: number; system: number };
  memoryUsage(): { rss: number; heapUsed: number; heapTotal: number };
  uptime(): number;
}

function nodeProcess(): NodeProcessLike | undefined {
  const p = (globalThis as { process?: Partial<NodeProcessLike> }).process;
  if (p === undefined || typeof p.cpuUsage !== 'function' || typeof p.memoryUsage !== 'function' || typeof p.uptime !== 'function') return undefined;
  return p as NodeProcessLike;
}

/** registerProcessMetrics: adds the process families available in this runtime to `reg`. */
export function registerProcessMetrics(reg: MetricsRegistry, now: () => number = Date.now): void {
  const proc = nodeProcess();
  const startedAtS = proc === undefined ? now() / 1000 : now() / 1000 - proc.uptime();
  reg.register({ name: 'process_start_time_seconds', type: 'gauge', help: 'Start time of the process since the Unix epoch, seconds.', collect: () => startedAtS });
  if (proc !== undefined) {
    reg.register({
      name: 'process_cpu_seconds_total',
      type: 'counter',
      help: 'User and system CPU time spent, seconds.',
      collect: () => {
        const c = proc.cpuUsage();
        return (c.user + c.system) / 1e6;
      },
    });
    reg.register({ name: 'process_resident_memory_bytes', type: 'gauge', help: 'Resident memory size, bytes.', collect: () => proc.memoryUsage().rss });
    reg.register({ name: 'nodejs_heap_size_used_bytes', type: 'gauge', help: 'V8 heap used, bytes.', collect: () => proc.memoryUsage().heapUsed });
    reg.register({ name: 'nodejs_heap_size_total_bytes', type: 'gauge', help: 'V8 heap size, bytes.', collect: () => proc.memoryUsage().heapTotal });
    return;
  }
  const perf = (globalThis as { performance?: { memory?: { usedJSHeapSize: number; totalJSHeapSize: number } } }).performance;
  if (perf?.memory !== undefined) {
    const mem = perf.memory;
    reg.register({ name: 'browser_js_heap_used_bytes', type: 'gauge', help: 'JS heap used by this tab (performance.memory), bytes.', collect: () => mem.usedJSHeapSize });
    reg.register({ name: 'browser_js_heap_total_bytes', type: 'gauge', help: 'JS heap size of this tab (performance.memory), bytes.', collect: () => mem.totalJSHeapSize });
  }
}
