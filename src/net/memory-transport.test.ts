import { describe, expect, it } from 'vitest';
import { Scheduler } from '../sim/clock.ts';
import { Prng } from '../sim/prng.ts';
import { MemoryNetwork } from './memory-transport.ts';
import type { PeerId } from './types.ts';

function setup(delayMs: readonly [number, number] = [0, 0]) {
  const s = new Scheduler();
  const net = new MemoryNetwork({ scheduler: { now: () => s.now, after: (ms, fn) => s.after(ms, fn) }, random: new Prng(7).fn(), delayMs });
  const a = net.join('a' as PeerId);
  const b = net.join('b' as PeerId);
  const got: string[] = [];
  b.onFrame((from, f) => got.push(`${from}:${f[0]}`));
  return { s, net, a, b, got };
}

describe('the in-memory peer network', () => {
  it('keeps per-link order even when each frame draws a different delay', () => {
    const { s, a, got } = setup([1, 50]);
    for (let i = 0; i < 50; i++) a.send('b' as PeerId, new Uint8Array([i]));
    s.runUntil(1_000);
    expect(got).toEqual(Array.from({ length: 50 }, (_, i) => `a:${i}`));
  });

  it('loses frames over a cut link, one way or both, until healed', () => {
    const { s, net, a, b, got } = setup();
    const back: string[] = [];
    a.onFrame((from) => back.push(from));
    net.cut('a' as PeerId, 'b' as PeerId, true);
    a.send('b' as PeerId, new Uint8Array([1]));
    b.send('a' as PeerId, new Uint8Array([2]));
    s.runUntil(10);
    expect(got).toEqual([]);
    expect(back).toEqual(['b']);
    net.heal('a' as PeerId, 'b' as PeerId);
    a.send('b' as PeerId, new Uint8Array([3]));
    s.runUntil(20);
    expect(got).toEqual(['a:3']);
  });

  it('a peer that leaves (crashes) gets nothing more, frames in flight to it are lost, the others see it go down', () => {
    const { s, net, a, got } = setup([5, 5]);
    const seen: string[] = [];
    a.onPeer((p, up) => seen.push(`${p}:${up}`));
    a.send('b' as PeerId, new Uint8Array([1]));
    net.leave('b' as PeerId);
    s.runUntil(100);
    expect(got).toEqual([]);
    expect(seen).toContain('b:false');
    expect(a.send('b' as PeerId, new Uint8Array([2]))).toBe(false);
    expect(a.connected()).toEqual([]);
  });

  it('refuses frames over the size limit', () => {
    const { a } = setup();
    expect(a.send('b' as PeerId, new Uint8Array(a.maxFrameBytes + 1))).toBe(false);
  });
});
