import { mkdirSync } from 'node:fs';
import { isNotReadable, readRegularFile, writeReplacingSync } from '../host/safe-files.js';
import { dirname } from 'node:path';
import '../../kernel/zod-config.js';
import * as z from 'zod';
import { EnvboxError, messageOf } from '../../kernel/errors.js';
import type { Logger } from '../log/logger.js';
import { STARTUP_MARKS, startupTimes, type StartupTimes } from './startup-marks.js';
import { processStartTime, readyMarkerPath, removeReadyMarker, writeReadyMarker } from './ready-marker.js';

const PHASES = ['starting-daemon', 'pulling', 'creating', 'bootstrapping', 'ready', 'stopping', 'failed'] as const;
export type Phase = (typeof PHASES)[number];

export const DEFAULT_STATUS_FILE = '/run/envbox/status.json';

/** The phases that make up a start, with the short names the summary line uses. */
const START_PHASES: ReadonlyArray<[Phase, string]> = [
  ['starting-daemon', 'daemon'],
  ['pulling', 'pull'],
  ['creating', 'create'],
  ['bootstrapping', 'bootstrap'],
];

const phaseSchema = z.enum(PHASES);

const statusFileSchema = z.object({
  phase: phaseSchema,
  containerId: z.string().nullable(),
  /** Time spent in each phase that has been left, in ms; a phase entered twice adds up. */
  durationsMs: z.partialRecord(phaseSchema, z.number().nonnegative()),
  startedAt: z.iso.datetime(),
  phaseStartedAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
  /** When the phase first became `ready`; the summary measures the start up to here. */
  readyAt: z.iso.datetime().nullable(),
  lastError: z.string().nullable(),
  /** Build-log warnings: things asked for that envbox could not do (say, limits a rootless daemon cannot enforce). */
  warnings: z.array(z.string()).default([]),
  pid: z.number().int(),
  /** The writer's start time (/proc/PID/stat field 22): with pid, tells a live writer from a stale file. */
  pidStartTime: z.string().optional(),
  /** From the process start to envbox's clock (startedAt): marks in ms since timeOrigin (see startup-marks.ts). */
  startup: z.object({ timeOrigin: z.number(), marks: z.partialRecord(z.enum(STARTUP_MARKS), z.number()) }).optional(),
});

export type StatusFile = z.infer<typeof statusFileSchema>;

/**
 * Where the start stands, kept in memory and mirrored to a small JSON file that `envbox status`
 * (a readiness probe) reads. Writing the file is best effort: a probe that cannot see progress
 * is no reason to fail the workspace.
 */
export class StatusTracker {
  private readonly startedAtMs: number;
  private phase: Phase | undefined;
  private phaseStartedAtMs: number;
  private readyAtMs: number | undefined;
  private containerId: string | null = null;
  private lastError: string | null = null;
  private readonly warnings: string[] = [];
  private readonly durationsMs: Partial<Record<Phase, number>> = {};
  private writeFailed = false;
  private readonly readyMarker: string | null;
  private readonly pidStartTime = processStartTime();
  private readonly startup: StartupTimes = startupTimes();

  /**
   * A marker an earlier run left is removed at once; the probe would refuse it anyway (another
   * process wrote it), but a file that is there only while ready is easier to reason about.
   */
  constructor(private readonly path: string | null, private readonly now: () => number = () => Date.now(), private readonly logger?: Logger) {
    this.startedAtMs = now();
    this.phaseStartedAtMs = this.startedAtMs;
    this.readyMarker = path === null ? null : readyMarkerPath(path);
    this.release();
  }

  get current(): Phase | undefined {
    return this.phase;
  }

  enter(phase: Phase): void {
    const at = this.now();
    if (this.phase) this.durationsMs[this.phase] = (this.durationsMs[this.phase] ?? 0) + Math.max(0, at - this.phaseStartedAtMs);
    this.phase = phase;
    this.phaseStartedAtMs = at;
    if (phase === 'ready' && this.readyAtMs === undefined) this.readyAtMs = at;
    // Not ready any more: the marker goes before the status file says why.
    if (phase !== 'ready') this.release();
    this.persist();
    if (phase === 'ready') this.markReady();
  }

  /** Removes the ready marker; also called on exit, so only a killed envbox leaves one (which the probe refuses). */
  release(): void {
    if (!this.readyMarker) return;
    try {
      removeReadyMarker(this.readyMarker);
    } catch (error) {
      this.logger?.debug({ path: this.readyMarker, error: messageOf(error) }, 'status: could not remove the ready marker');
    }
  }

  private markReady(): void {
    if (!this.readyMarker) return;
    try {
      writeReadyMarker(this.readyMarker);
    } catch (error) {
      this.logger?.debug({ path: this.readyMarker, error: messageOf(error) }, 'status: could not write the ready marker');
    }
  }

  setContainerId(id: string): void {
    this.containerId = id;
    this.persist();
  }

  fail(message: string): void {
    this.lastError = message;
    this.enter('failed');
  }

  warn(text: string): void {
    if (this.warnings.includes(text)) return;
    this.warnings.push(text);
    this.persist();
  }

  snapshot(): StatusFile {
    const at = this.now();
    return {
      phase: this.phase ?? 'starting-daemon',
      containerId: this.containerId,
      durationsMs: { ...this.durationsMs },
      startedAt: new Date(this.startedAtMs).toISOString(),
      phaseStartedAt: new Date(this.phaseStartedAtMs).toISOString(),
      updatedAt: new Date(at).toISOString(),
      readyAt: this.readyAtMs === undefined ? null : new Date(this.readyAtMs).toISOString(),
      lastError: this.lastError,
      warnings: [...this.warnings],
      pid: process.pid,
      ...(this.pidStartTime === undefined ? {} : { pidStartTime: this.pidStartTime }),
      startup: this.startup,
    };
  }

  /** "ready in 3.2 s: daemon 0.7 s, pull 1.1 s, create 0.4 s, bootstrap 1.0 s". */
  summary(): string {
    return summarizeStatus(this.snapshot(), this.now());
  }

  private persist(): void {
    if (!this.path || this.writeFailed) return;
    try {
      writeStatusFile(this.path, this.snapshot());
    } catch (error) {
      this.writeFailed = true;
      this.logger?.debug({ path: this.path, error: messageOf(error) }, 'status: could not write the status file; not trying again');
    }
  }
}

/**
 * Written whole and renamed over the old one, so a probe never reads half a file. The directory may be
 * one the workspace can write (an admin who wants `envbox status` inside it): the temp file is one
 * envbox creates itself, so a link or FIFO planted there is never written through or waited on.
 */
function writeStatusFile(path: string, status: StatusFile): void {
  mkdirSync(dirname(path), { recursive: true });
  writeReplacingSync(path, `${JSON.stringify(status, null, 2)}\n`, { mode: 0o644 });
}

/** A status file is a few KiB; anything much larger is not one. */
const STATUS_FILE_LIMIT_BYTES = 1024 * 1024;

/**
 * Reads and checks the status file; the error says which file and what is wrong with it. The path
 * comes from a person (--file) or the env: a FIFO or a device there is refused, never opened blocking.
 */
export async function readStatus(path: string): Promise<StatusFile> {
  const text = await readRegularFile(path, STATUS_FILE_LIMIT_BYTES, { follow: true });
  if (text === null) throw new EnvboxError(`no status file at ${path}`, 'envbox has not started yet, or it writes its status elsewhere (ENVBOX_STATUS_FILE, --file).');
  if (isNotReadable(text)) throw new EnvboxError(`cannot read the status file ${path}: it ${text.problem}`);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new EnvboxError(`the status file ${path} is not JSON: ${messageOf(error)}`);
  }
  const parsed = statusFileSchema.safeParse(json);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`).join('; ');
    throw new EnvboxError(`the status file ${path} is not an envbox status: ${problems}`);
  }
  return parsed.data;
}

/**
 * One line of timings. Before `ready` it counts up to `nowMs` and names the phase reached,
 * e.g. "failed after 4.0 s: daemon 0.7 s, pull 3.3 s".
 */
export function summarizeStatus(status: StatusFile, nowMs: number): string {
  const readyAtMs = status.readyAt === null ? undefined : Date.parse(status.readyAt);
  const inCurrentMs = readyAtMs === undefined ? Math.max(0, nowMs - Date.parse(status.phaseStartedAt)) : 0;
  const timeIn = (phase: Phase): number => (status.durationsMs[phase] ?? 0) + (status.phase === phase ? inCurrentMs : 0);
  const parts = START_PHASES.filter(([phase]) => status.durationsMs[phase] !== undefined || status.phase === phase)
    .map(([phase, label]) => `${label} ${seconds(timeIn(phase))}`);
  const head = readyAtMs !== undefined ? 'ready in' : `${status.phase} after`;
  const total = `${head} ${seconds((readyAtMs ?? nowMs) - Date.parse(status.startedAt))}`;
  return parts.length > 0 ? `${total}: ${parts.join(', ')}` : total;
}

export function seconds(ms: number): string {
  return `${(Math.max(0, ms) / 1000).toFixed(1)} s`;
}
