import type { PhaseUsage } from './cluster.ts';
import type { CpuPerFile } from './cpu-per-file.ts';
import type { UploadMode } from './http-client.ts';
import type { MachineInfo } from './machine.ts';
import type { LatencySummary } from './percentiles.ts';
import type { LaneMode } from './small-upload-run.ts';

/** Peak RSS per process name (`ingest`, `node1-w1`, ...), MiB. */
export type PeakRssMiB = Record<string, number>;

/** CPU seconds (user + system) per process name over a phase. */
export type CpuSeconds = Record<string, { user: number; system: number }>;

export interface LargeResult {
  sizeMiB: number;
  baseline: { seconds: number; copySeconds: number[]; mibPerSecond: number };
  runs: ({
    mode: UploadMode;
    /** The upload's command line (`curl -T` or `curl -F`). */
    client: string;
    secondsTo201: number;
    secondsToUploadOk3: number;
    /** Size over time to UPLOAD_OK 3. */
    mibPerSecond: number;
    /** Size over time to the 201: how fast ingest took the bytes in. */
    ingestMibPerSecond: number;
    /** secondsToUploadOk3 / baseline seconds; the target (for `curl -T`) is ≤ 1.2. */
    ratioToBaseline: number;
  } & UsageTables)[];
}

/** One small-file run on a fresh cluster. */
export type SmallRun = {
  upload: UploadMode;
  /** Uploads in flight. */
  lanes: number;
  mode: LaneMode;
  files: number;
  seconds: number;
  /** Files at UPLOAD_OK 3 per second, first upload sent to last UPLOAD_OK 3 seen. */
  filesPerSecond: number;
  uploadMs: LatencySummary;
  uploadToOk3Ms: LatencySummary;
  /** filesPerSecond over the baseline's; the target at full lanes is ≥ 0.6. */
  ratioToBaseline: number;
  /** filesPerSecond over Swift's 4 KiB PUT rate on this machine (upper figure); the target is ≥ 5. */
  ratioToSwift: number;
  /** CPU per file at UPLOAD_OK 3, per process and in all. */
  cpuMsPerFile: CpuPerFile;
} & UsageTables;

export interface SmallResult {
  files: number;
  fileBytes: number;
  concurrency: number;
  /** Files of the one-lane runs. */
  oneLaneFiles: number;
  baseline: { seconds: number; filesPerSecond: number; fileLatencyMs: LatencySummary };
  /** Swift SAIO's 4 KiB PUT rate with 3 replicas, measured on this machine (issue 16), objects/s. */
  swiftFilesPerSecond: { low: number; high: number };
  runs: SmallRun[];
}

export interface MetadataStoreResult {
  files: number;
  seedSeconds: number;
  /** Spawn → "Server listening", each start-up. */
  startupMs: number[];
  startupMedianMs: number;
  statusMs: LatencySummary;
  pageMs: LatencySummary;
}

export interface MetadataResult {
  /** The baseline store (small) and the measured one. */
  baseline: MetadataStoreResult;
  scaled: MetadataStoreResult;
  pageLimit: number;
}

export interface ScaleOutResult {
  files: number;
  fileBytes: number;
  concurrency: number;
  runs: ({
    workersPerNode: number;
    filesPerSecond: number;
    uploadToOk3Ms: LatencySummary;
    /** files/s over the 1-worker run's. */
    ratioToOneWorker: number;
  } & UsageTables)[];
}

export interface IngestsResult {
  files: number;
  fileBytes: number;
  concurrency: number;
  runs: ({
    label: string;
    ingests: number;
    metadata: 'sqlite' | 'postgres';
    filesPerSecond: number;
    uploadMs: LatencySummary;
    uploadToOk3Ms: LatencySummary;
    /** files/s over the first setup's (one ingest on SQLite). */
    ratioToFirst: number;
  } & UsageTables)[];
}

export interface TargetCheck {
  scenario: string;
  what: string;
  target: string;
  measured: string;
  met: boolean;
}

export interface BenchResults {
  date: string;
  command: string;
  machine: MachineInfo;
  options: Record<string, string | number | string[] | number[]>;
  totalSeconds: number;
  large?: LargeResult;
  small?: SmallResult;
  metadata?: MetadataResult;
  scaleout?: ScaleOutResult;
  ingests?: IngestsResult;
  targets: TargetCheck[];
  /** The latency plot written beside the JSON, relative to the repository root. */
  plot?: string;
}

export const MiB = 1024 * 1024;

export function toMiB(bytes: number): number {
  return Math.round((bytes / MiB) * 10) / 10;
}

/** What the processes used during a measured phase, as stored in the results. */
export interface UsageTables {
  peakRssMiB: PeakRssMiB;
  /** Per service process, plus `bench client` (this process) and `rabbitmq` when it is local. */
  cpuSeconds: CpuSeconds;
  /** Busy share of all cores over the phase, whatever ran on the machine. */
  machineCpuBusyPercent: number;
}

/** Splits a phase's usage into the tables of the results. */
export function usageTables(usage: PhaseUsage): UsageTables {
  const entries = Object.entries(usage.processes);
  return {
    peakRssMiB: Object.fromEntries(entries.map(([name, u]) => [name, toMiB(u.peakRssBytes)])),
    cpuSeconds: {
      ...Object.fromEntries(
        entries.map(([name, u]) => [name, { user: u.cpuUserSeconds, system: u.cpuSystemSeconds }]),
      ),
      'bench client': usage.client,
      ...(usage.broker ? { rabbitmq: usage.broker } : {}),
    },
    machineCpuBusyPercent: usage.machineCpuBusyPercent,
  };
}
