/** A replica's receipt in a status object (API.md, "Status in detail", plus the cluster's marks). */
export interface Receipt {
  node: string;
  state: string;
  sha256?: string;
  storedAt?: string;
  reason?: string;
  healing?: true;
  displaced?: true;
  nodeDown?: true;
}

/** A status object, as `GET /files` lists them. */
export interface FileStatus {
  id: string;
  name: string;
  size: number;
  sha256: string;
  status: string;
  replicas: number;
  target: number;
  createdAt: string;
  nodes: Receipt[];
}

/** A node as `GET /nodes` shows it. */
export interface NodeView {
  id: string;
  url: string | null;
  state: string;
  zone: string | null;
  lastSeen: string | null;
  freeBytes: number | null;
  totalBytes: number | null;
  files: number;
  healing: number;
  workers: number;
  drain?: { remaining: number; total: number };
}

/** `GET /dashboard/summary`. */
export interface Summary {
  files: number;
  underReplicated: number;
  oldestPendingSeconds: number;
  outboxDue: number;
  deadLetters: number | null;
  nodes: Record<string, number>;
  queues: Record<string, { messages: number; consumers: number }>;
}

/** One event off an EventSource, its data parsed. */
export interface LiveEvent {
  id: string;
  type: string;
  data: Record<string, unknown>;
}
