import { expect } from 'vitest';
import type { RawResponse } from '../../support/raw-http.ts';
import { browserUpload } from './browser.ts';
import { curlUpload, fetchUpload, streamUpload, type Upload } from './clients.ts';
import type { BadInputCase, ServerName, Target } from './harness.ts';
import { EDGE_MAX_UPLOAD_BYTES, whileFull } from './process-servers.ts';

const KiB = 1024;
const MiB = 1024 * KiB;

type ClientName = 'fetch' | 'http' | 'http-expect' | 'curl' | 'curl-expect' | 'chromium';

interface Client {
  name(route: Upload['route']): string;
  send(target: Target, upload: Upload): Promise<RawResponse>;
  /** Sends `Expect: 100-continue`: a refusal must come instead of the 100. */
  expects?: boolean;
  browser?: boolean;
  /** Can send a body slowly (Chromium streams request bodies only over HTTP/2). */
  paces: boolean;
}

const curlName = (route: Upload['route']) => (route === 'put' ? 'curl -T' : 'curl -F');

const clients: Record<ClientName, Client> = {
  fetch: { name: () => 'fetch', send: fetchUpload, paces: true },
  http: { name: () => 'http.request', send: streamUpload, paces: true },
  'http-expect': {
    name: () => 'http.request with Expect',
    send: (t, u) => streamUpload(t, { ...u, expect: true }),
    expects: true,
    paces: false,
  },
  curl: { name: curlName, send: curlUpload, paces: true },
  'curl-expect': {
    name: (route) => `${curlName(route)} with Expect`,
    send: (t, u) => curlUpload(t, { ...u, expect: true }),
    expects: true,
    paces: false,
  },
  chromium: { name: () => 'Chromium fetch', send: browserUpload, browser: true, paces: false },
};

interface Refusal {
  /** How the answer is described in the case name. */
  what: string;
  server: ServerName;
  status: number;
  code: string;
  /** Sent by every client, by each route. */
  sizes: number[];
  /** Default both. */
  routes?: Upload['route'][];
  /**
   * Who also sends 100 MiB: only clients that go on sending past what the socket buffers hold
   * (curl and Expect clients stop at once, so a large body tells nothing more about them).
   */
  large: [ClientName, Upload['route']][];
  upload: Partial<Upload>;
  /** Refused before anything was read: no `100 Continue` may come first. */
  beforeContinue: boolean;
  paced?: boolean;
  /** Runs around the upload (to fill the disk for it). */
  around?: (target: Target, send: () => Promise<RawResponse>) => Promise<RawResponse>;
}

const refusals: Refusal[] = [
  {
    what: 'without a token',
    server: 'edge',
    status: 401,
    code: 'UNAUTHORIZED',
    sizes: [1, 64 * KiB, MiB],
    large: [
      ['fetch', 'put'],
      ['http', 'put'],
      ['chromium', 'form'],
    ],
    upload: { token: null },
    beforeContinue: true,
  },
  {
    what: `over the ${EDGE_MAX_UPLOAD_BYTES / KiB} KiB limit`,
    server: 'edge',
    status: 413,
    code: 'PAYLOAD_TOO_LARGE',
    sizes: [MiB],
    large: [],
    upload: {},
    beforeContinue: true,
  },
  {
    // Content-Length is within the limit plus the form's framing: multer finds the file too large.
    what: `whose file is over the ${EDGE_MAX_UPLOAD_BYTES / KiB} KiB limit`,
    server: 'edge',
    status: 413,
    code: 'PAYLOAD_TOO_LARGE',
    routes: ['form'],
    sizes: [EDGE_MAX_UPLOAD_BYTES + 64 * KiB],
    large: [],
    upload: {},
    beforeContinue: false,
  },
  {
    what: 'with ?wait=abc',
    server: 'edge',
    status: 400,
    code: 'BAD_REQUEST',
    sizes: [64 * KiB],
    large: [],
    upload: { query: '?wait=abc' },
    beforeContinue: true,
  },
  {
    what: 'sent slower than the request deadline',
    server: 'edge',
    status: 408,
    code: 'REQUEST_TIMEOUT',
    sizes: [480 * KiB],
    large: [],
    upload: { paceMs: 100 },
    beforeContinue: false,
    paced: true,
  },
  {
    what: 'to a full data directory',
    server: 'full',
    status: 503,
    code: 'STORAGE_UNAVAILABLE',
    sizes: [MiB],
    large: [],
    upload: {},
    beforeContinue: false,
    around: (target, send) => whileFull(target.dataDir, send),
  },
];

function sizeName(bytes: number): string {
  if (bytes >= MiB) return `${bytes / MiB} MiB`;
  if (bytes >= KiB) return `${bytes / KiB} KiB`;
  return `${bytes} B`;
}

function earlyAnswer(refusal: Refusal, client: Client, route: Upload['route'], bytes: number): BadInputCase {
  const upload: Upload = { route, bytes, ...refusal.upload };
  const routeName = route === 'put' ? 'PUT' : 'multipart';
  const send = (t: Target) => client.send(t, upload);
  return {
    name: `${client.name(route)}: ${routeName} of ${sizeName(bytes)} ${refusal.what} gets ${refusal.status} (own process)`,
    server: refusal.server,
    ...(client.browser ? { browser: true } : {}),
    send: (t) => (refusal.around ? refusal.around(t, () => send(t)) : send(t)),
    status: refusal.status,
    code: refusal.code,
    check: (response) => {
      if (client.expects && refusal.beforeContinue && response.informational)
        expect(response.informational).toEqual([]);
    },
  };
}

/**
 * Answers given before the body is read, as real clients see them from ingest in its own process:
 * each must get the status and the JSON error, not a connection reset (lingering-close.ts).
 */
export const earlyAnswerCases: BadInputCase[] = refusals.flatMap((refusal) => [
  ...Object.values(clients)
    .filter((client) => !refusal.paced || client.paces)
    .flatMap((client) =>
      (refusal.routes ?? (['put', 'form'] as const)).flatMap((route) =>
        refusal.sizes.map((bytes) => earlyAnswer(refusal, client, route, bytes)),
      ),
    ),
  ...refusal.large.map(([client, route]) => earlyAnswer(refusal, clients[client], route, 100 * MiB)),
]);
