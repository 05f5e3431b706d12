import * as v from 'valibot';
import type { DeployedFunction, Schema } from '../http/route.ts';
import { integer } from '../lifecycle/schemas.ts';

/** A function run by the clock (EventBridge), not by a route; declared beside the routes in ./function-table.ts. */
export interface Job extends DeployedFunction {
  /** What a manual invocation may pass; the schedule's own event must pass it too. */
  input: Schema;
  /** An EventBridge rate expression, per stage in serverless.yml (`custom.stages.<stage>.<scheduleSetting>`). */
  scheduleSetting: string;
  defaultSchedule: string;
  timeout: number;
  environment: Record<string, string>;
  /** EventBridge invokes asynchronously: Lambda retries this often, then hands the event to this queue. */
  retries: number;
  deadLetterQueue: string;
}

/** The cleanup's manual override; the schedule's own event (or `{}`) uses the configured ages. */
export const cleanupInput = v.object({ olderThanMinutes: v.optional(integer(0, 10 * 365 * 24 * 60)) });

export const CLEANUP_JOB = {
  function: 'cleanup',
  handler: 'functions/scheduled/cleanup.handler',
  input: cleanupInput,
  scheduleSetting: 'cleanupSchedule',
  defaultSchedule: 'rate(1 hour)',
  // Long enough for many pages; the job stops CLEANUP_SAFETY_MARGIN_MS before this and resumes next run.
  timeout: 120,
  access: {
    permissions: ['queryOpenIndex', 'readRequest', 'writeRequest', 'writeEntityRegistry', 'writeSession', 'cleanupDeadLetters', 'signProofs'],
    platform: { permissions: [] },
  },
  environment: { CLEANUP_SAFETY_MARGIN_MS: '15000' },
  retries: 2,
  deadLetterQueue: 'CleanupDeadLetterQueue',
} satisfies Job;

/** Nothing to pass: each run delivers what is due. */
export const deliveriesInput = v.object({});

/**
 * The retries of outbound events: every minute, the deliveries due by then, through the due index,
 * handed to their endpoints' workers (./streams.ts): the sweep itself waits on no receiver.
 */
export const DELIVERIES_JOB = {
  function: 'deliverEvents',
  handler: 'functions/scheduled/deliveries.handler',
  input: deliveriesInput,
  scheduleSetting: 'deliveriesSchedule',
  defaultSchedule: 'rate(1 minute)',
  timeout: 60,
  access: { permissions: ['queryDueDeliveries', 'invokeDeliveryWorker', 'eventsDeadLetters'] },
  environment: { DELIVERY_SAFETY_MARGIN_MS: '15000' },
  retries: 0,
  deadLetterQueue: 'EventsDeadLetterQueue',
} satisfies Job;

export const JOBS: readonly Job[] = [CLEANUP_JOB, DELIVERIES_JOB];
