/**
 * The fault and placement controls of a cluster member's `db.cluster` handle: step down, pause,
 * isolate, resume (over the host's {@link HostFaults} gate) and visibility (presence `visible`,
 * and a hidden leader handing over to a visible tab or a Node peer).
 *
 * @internal Used by clustered-database.ts.
 */
import type { GeodePeer, PeerId } from '../net/index.ts';
import type { FaultMode, HostClock, HostFaults, ShardHost, TimerHandle } from '../shard/index.ts';
import { GeodeError } from '../util/errors.ts';
import { hiddenLeaderCheckMs, type GeodeCluster } from './cluster-handle.ts';

/** The part of {@link GeodeCluster} these controls implement. */
export type ClusterControls = Pick<GeodeCluster, 'stepDown' | 'pause' | 'isolate' | 'resume' | 'fault' | 'setVisible' | 'visible'> & {
  /** stop: no more hidden-leader checks (on close). */
  stop(): void;
};

/** What the controls of a member work on. */
export interface MemberControlsParts {
  readonly host: ShardHost;
  readonly transport: GeodePeer;
  readonly faults: HostFaults;
  /** The host's clock (behind the fault gate: a paused peer does not hand off). */
  readonly clock: HostClock;
}

/** True when presence says `peer` is a Node peer or a visible tab. */
function visibleOrNode(transport: GeodePeer): (peer: PeerId) => boolean {
  return (peer) => {
    for (const s of transport.presence()) if (s.id === peer) return s.kind === 'node' || s.visible;
    return false;
  };
}

/** memberControls: the controls of a member peer. */
export function memberControls(parts: MemberControlsParts): ClusterControls {
  const { host, transport, faults, clock } = parts;
  let visible = true;
  let check: TimerHandle | undefined;
  let stopped = false;
  const eligible = visibleOrNode(transport);

  const handOffWhileHidden = async (): Promise<void> => {
    if (visible || stopped || faults.mode !== 'none' || !host.isLeader()) return;
    await host.stepDown({ eligible }).catch(() => undefined); // CLOSED while closing: nothing to hand off
  };
  const scheduleCheck = (): void => {
    check?.cancel();
    if (visible || stopped) return;
    check = clock.after(hiddenLeaderCheckMs, () => {
      void handOffWhileHidden().finally(scheduleCheck);
    });
  };

  return {
    stepDown: () => host.stepDown({ preferred: eligible }),
    pause: () => faults.pause(),
    isolate: () => faults.isolate(),
    resume: () => faults.resume(),
    fault: () => faults.mode,
    visible: () => visible,
    async setVisible(v: boolean): Promise<void> {
      if (typeof v !== 'boolean') throw new GeodeError('INPUT_INVALID', `setVisible takes a boolean, got ${typeof v}`, { source: 'cluster' });
      if (stopped) return;
      visible = v;
      transport.setPresence({ visible: v });
      scheduleCheck();
      await handOffWhileHidden();
    },
    stop(): void {
      stopped = true;
      check?.cancel();
    },
  };
}

const clientOnly = (): never => {
  throw new GeodeError('CONFIG_INVALID', 'a cluster client holds no replica to pause or cut off: use it on a member (open without cluster.client)', {
    source: 'cluster',
    detail: 'cluster.client',
  });
};

/** clientControls: a client's controls (it holds no replica: nothing to step down, pause or cut off). */
export function clientControls(transport: GeodePeer): ClusterControls {
  let visible = true;
  return {
    stepDown: () => Promise.resolve(undefined),
    pause: clientOnly,
    isolate: clientOnly,
    resume: () => {},
    fault: (): FaultMode => 'none',
    visible: () => visible,
    setVisible(v: boolean): Promise<void> {
      if (typeof v !== 'boolean') throw new GeodeError('INPUT_INVALID', `setVisible takes a boolean, got ${typeof v}`, { source: 'cluster' });
      visible = v;
      transport.setPresence({ visible: v });
      return Promise.resolve();
    },
    stop: () => {},
  };
}
