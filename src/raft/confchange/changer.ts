import { assert } from '../../util/assert.ts';
import { GeodeError } from '../../util/errors.ts';
import { groupMembersMax } from '../constants.ts';
import { Progress } from '../tracker/progress.ts';
import type { TrackerConfig } from '../tracker/tracker.ts';
import type { ConfChange, ConfChangeSingle, ConfState, LogIndex, NodeId } from '../types.ts';
import { isLeaveJoint, usesJoint } from './codec.ts';

/** ChangeResult: a new membership and the progress map that goes with it. */
export interface ChangeResult {
  readonly config: TrackerConfig;
  readonly progress: Map<NodeId, Progress>;
}

function refuse(why: string): never {
  throw new GeodeError('INPUT_INVALID', `conf change refused: ${why}`);
}

function copyConfig(c: TrackerConfig): TrackerConfig {
  return {
    voters: { incoming: new Set(c.voters.incoming), outgoing: new Set(c.voters.outgoing) },
    learners: new Set(c.learners),
    learnersNext: new Set(c.learnersNext),
    autoLeave: c.autoLeave,
  };
}

/** copyProgress: a map of copies, so that computing a membership never touches the live one. */
function copyProgress(progress: ReadonlyMap<NodeId, Progress>): Map<NodeId, Progress> {
  const out = new Map<NodeId, Progress>();
  for (const [id, pr] of progress) out.set(id, pr.copy());
  return out;
}

/**
 * Changer: computes the membership after a change, without touching the current one. It checks its
 * invariants on what it is given and on what it returns; a change the current membership does not
 * allow is refused with GeodeError INPUT_INVALID.
 */
export class Changer {
  private readonly lastIndex: LogIndex;
  private readonly maxInflight: number;

  constructor(lastIndex: LogIndex, maxInflight: number) {
    this.lastIndex = lastIndex;
    this.maxInflight = maxInflight;
  }

  /** apply: the membership after `cc` (single step, enter joint or leave joint, as `cc` says). */
  apply(config: TrackerConfig, progress: ReadonlyMap<NodeId, Progress>, cc: ConfChange): ChangeResult {
    checkInvariants(config, progress);
    let out: ChangeResult;
    if (isLeaveJoint(cc)) out = this.leaveJoint(config, progress);
    else if (usesJoint(cc)) out = this.enterJoint(config, progress, cc.transition !== 'jointExplicit', cc.changes);
    else out = this.simple(config, progress, cc.changes);
    checkInvariants(out.config, out.progress);
    return out;
  }

  /** enterJoint: old voters become the outgoing half; the changes apply to the incoming half. */
  enterJoint(config: TrackerConfig, progress: ReadonlyMap<NodeId, Progress>, autoLeave: boolean, changes: readonly ConfChangeSingle[]): ChangeResult {
    if (config.voters.outgoing.size > 0) refuse('configuration is already joint');
    if (config.voters.incoming.size === 0) refuse('cannot enter a joint configuration from an empty one');
    const cfg = copyConfig(config);
    for (const id of cfg.voters.incoming) cfg.voters.outgoing.add(id);
    const prs = copyProgress(progress);
    this.applyAll(cfg, prs, changes);
    cfg.autoLeave = autoLeave;
    return this.finish(cfg, prs);
  }

  /** leaveJoint: drops the outgoing half; outgoing voters marked so become learners. */
  leaveJoint(config: TrackerConfig, progress: ReadonlyMap<NodeId, Progress>): ChangeResult {
    if (config.voters.outgoing.size === 0) refuse('cannot leave a non-joint configuration');
    const cfg = copyConfig(config);
    const prs = copyProgress(progress);
    for (const id of cfg.learnersNext) cfg.learners.add(id);
    cfg.learnersNext.clear();
    for (const id of cfg.voters.outgoing) {
      if (!cfg.voters.incoming.has(id) && !cfg.learners.has(id)) prs.delete(id);
    }
    cfg.voters.outgoing.clear();
    cfg.autoLeave = false;
    return this.finish(cfg, prs);
  }

  /** simple: a change of at most one voter, applied in one step (thesis §4.1). */
  simple(config: TrackerConfig, progress: ReadonlyMap<NodeId, Progress>, changes: readonly ConfChangeSingle[]): ChangeResult {
    if (config.voters.outgoing.size > 0) refuse('cannot apply a simple change in a joint configuration');
    const cfg = copyConfig(config);
    const prs = copyProgress(progress);
    this.applyAll(cfg, prs, changes);
    let diff = 0;
    for (const id of cfg.voters.incoming) if (!config.voters.incoming.has(id)) diff++;
    for (const id of config.voters.incoming) if (!cfg.voters.incoming.has(id)) diff++;
    if (diff > 1) refuse('more than one voter changed without joint consensus');
    return this.finish(cfg, prs);
  }

  private applyAll(cfg: TrackerConfig, prs: Map<NodeId, Progress>, changes: readonly ConfChangeSingle[]): void {
    for (const c of changes) {
      switch (c.type) {
        case 'addNode':
          this.makeVoter(cfg, prs, c.nodeId);
          break;
        case 'addLearner':
          this.makeLearner(cfg, prs, c.nodeId);
          break;
        case 'removeNode':
          this.remove(cfg, prs, c.nodeId);
          break;
      }
    }
    if (cfg.voters.incoming.size === 0) refuse('removed all voters');
    if (prs.size > groupMembersMax) refuse(`more than ${groupMembersMax} members`);
  }

  private init(prs: Map<NodeId, Progress>, id: NodeId): void {
    if (prs.has(id)) return;
    // A new member is assumed to be behind: the leader probes from its last index. It counts as
    // recently active so that CheckQuorum does not step the leader down at once.
    const pr = new Progress(0 as LogIndex, Math.max(this.lastIndex, 1) as LogIndex, this.maxInflight, false);
    pr.recentActive = true;
    prs.set(id, pr);
  }

  private makeVoter(cfg: TrackerConfig, prs: Map<NodeId, Progress>, id: NodeId): void {
    this.init(prs, id);
    cfg.learners.delete(id);
    cfg.learnersNext.delete(id);
    cfg.voters.incoming.add(id);
  }

  private makeLearner(cfg: TrackerConfig, prs: Map<NodeId, Progress>, id: NodeId): void {
    this.init(prs, id);
    if (cfg.learners.has(id)) return;
    cfg.voters.incoming.delete(id);
    cfg.learners.delete(id);
    cfg.learnersNext.delete(id);
    // An outgoing voter keeps voting until the joint configuration is left; it becomes a learner then.
    if (cfg.voters.outgoing.has(id)) cfg.learnersNext.add(id);
    else cfg.learners.add(id);
  }

  private remove(cfg: TrackerConfig, prs: Map<NodeId, Progress>, id: NodeId): void {
    if (!prs.has(id)) return;
    cfg.voters.incoming.delete(id);
    cfg.learners.delete(id);
    cfg.learnersNext.delete(id);
    if (!cfg.voters.outgoing.has(id)) prs.delete(id);
  }

  private finish(cfg: TrackerConfig, prs: Map<NodeId, Progress>): ChangeResult {
    if (cfg.voters.outgoing.size === 0) cfg.autoLeave = false;
    checkInvariants(cfg, prs);
    for (const [id, pr] of prs) pr.isLearner = cfg.learners.has(id);
    return { config: cfg, progress: prs };
  }
}

/** checkInvariants: learners and voters are disjoint, every member has a progress, and so on. */
export function checkInvariants(cfg: TrackerConfig, prs: ReadonlyMap<NodeId, Progress>): void {
  for (const id of cfg.voters.incoming) assert(prs.has(id), `voter ${id} has no progress`);
  for (const id of cfg.voters.outgoing) assert(prs.has(id), `outgoing voter ${id} has no progress`);
  for (const id of cfg.learners) {
    assert(prs.has(id), `learner ${id} has no progress`);
    assert(!cfg.voters.incoming.has(id), `${id} is both a learner and a voter`);
    assert(!cfg.voters.outgoing.has(id), `${id} is both a learner and an outgoing voter`);
  }
  for (const id of cfg.learnersNext) {
    assert(prs.has(id), `next learner ${id} has no progress`);
    assert(cfg.voters.outgoing.has(id), `next learner ${id} is not an outgoing voter`);
    assert(!cfg.voters.incoming.has(id), `next learner ${id} is an incoming voter`);
  }
  if (cfg.voters.outgoing.size === 0) {
    assert(cfg.learnersNext.size === 0, `learnersNext is non-empty outside a joint configuration`);
    assert(!cfg.autoLeave, 'autoLeave set outside a joint configuration');
  }
}

/** restoreConfig: the membership described by a ConfState (at boot or from a snapshot). */
export function restoreConfig(cs: ConfState, lastIndex: LogIndex, maxInflight: number): ChangeResult {
  const cfg: TrackerConfig = {
    voters: { incoming: new Set(cs.voters), outgoing: new Set(cs.votersOutgoing ?? []) },
    learners: new Set(cs.learners),
    learnersNext: new Set(cs.learnersNext ?? []),
    autoLeave: cs.votersOutgoing !== undefined && cs.votersOutgoing.length > 0 && cs.autoLeave === true,
  };
  const prs = new Map<NodeId, Progress>();
  const add = (id: NodeId): void => {
    if (prs.has(id)) return;
    const pr = new Progress(0 as LogIndex, Math.max(lastIndex, 1) as LogIndex, maxInflight, cfg.learners.has(id));
    pr.recentActive = true;
    prs.set(id, pr);
  };
  for (const id of cfg.voters.incoming) add(id);
  for (const id of cfg.voters.outgoing) add(id);
  for (const id of cfg.learners) add(id);
  for (const id of cfg.learnersNext) add(id);
  if (cfg.voters.incoming.size + cfg.voters.outgoing.size + cfg.learners.size > 0 && cfg.voters.incoming.size === 0) {
    throw new GeodeError('INPUT_INVALID', 'conf state has learners but no voters');
  }
  checkInvariants(cfg, prs);
  return { config: cfg, progress: prs };
}
