// When a stage's deadline passes and when its signal escalates (pure; the clock is an argument).
import { amsterdamDate } from '../../clock.js';
import type { SignalStage } from '../../db/schema/index.js';
import { addDays, addWorkingDays, endOfDay, workingDayOnOrAfter } from './working-days.js';

export interface DeadlineSettings {
  reviewWorkingDays: number;
  decisionWorkingDays: number;
  transferWeeks: number;
  escalationWorkingDays: number;
}

export interface StageDeadline {
  /** The reminder is raised when this passes (the end of the deadline's last day in Amsterdam). */
  dueAt: Date;
  /** The escalation to the coordinator is raised when this passes. */
  escalatesAt: Date;
}

/**
 * "Within N working days" counts from the day after the stage began and ends with the N-th
 * working day: a proposal made on a Friday (at any hour) is due by the end of the Tuesday after
 * (review, 2 days). The transfer runs 10 calendar weeks from the acceptance; a last day that is
 * not a working day moves to the next working day, as statutory terms do (Algemene
 * termijnenwet). A registration that needs attention is in the coordinator's worklist at once
 * (its reminder is due when it got there) and escalates after the review deadline.
 */
export function stageDeadline(stage: SignalStage, startedAt: Date, s: DeadlineSettings): StageDeadline {
  const day = amsterdamDate(startedAt);
  const escalation = (lastDay: string) => endOfDay(addWorkingDays(lastDay, s.escalationWorkingDays));
  switch (stage) {
    case 'review':
    case 'decision': {
      const last = addWorkingDays(day, stage === 'review' ? s.reviewWorkingDays : s.decisionWorkingDays);
      return { dueAt: endOfDay(last), escalatesAt: escalation(last) };
    }
    case 'transfer': {
      const last = workingDayOnOrAfter(addDays(day, 7 * s.transferWeeks));
      return { dueAt: endOfDay(last), escalatesAt: escalation(last) };
    }
    case 'attention':
      return { dueAt: startedAt, escalatesAt: endOfDay(addWorkingDays(day, s.reviewWorkingDays)) };
  }
}

/**
 * The earliest a stage can be due, in whole days after its start: N working days take at least
 * N calendar days. The scan reads only stages older than this.
 */
export function minimumDays(stage: SignalStage, s: DeadlineSettings): number {
  switch (stage) {
    case 'review':
      return s.reviewWorkingDays;
    case 'decision':
      return s.decisionWorkingDays;
    case 'transfer':
      return 7 * s.transferWeeks;
    case 'attention':
      return 0;
  }
}
