/** An answer other than 2xx, with the server's error message. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const TOKEN_KEY = 'dfr.apiToken';
/** The read session lasts 15 min on the server; renewing every 5 keeps streams able to reconnect. */
const RENEW_SESSION_MS = 5 * 60_000;

/** The server's `{"error":{"message"}}`, or the status line. */
export async function errorOf(response: Response): Promise<HttpError> {
  const body = (await response.json().catch(() => undefined)) as { error?: { message?: string } } | undefined;
  return new HttpError(response.status, body?.error?.message ?? `${response.status} ${response.statusText}`);
}

/**
 * The ingest API as the page uses it. The API token lives in sessionStorage (gone with the tab)
 * and goes in `Authorization` on every fetch; EventSource cannot send it, so the page also
 * trades it for the read session cookie (POST /dashboard/session) and renews that.
 */
export class Api {
  private renewTimer: number | undefined;

  token(): string | null {
    return sessionStorage.getItem(TOKEN_KEY);
  }

  /** Keeps the token, once the server took it for a read session. */
  async useToken(token: string): Promise<void> {
    const response = await fetch('/dashboard/session', { method: 'POST', headers: this.headers(token) });
    if (!response.ok) throw await errorOf(response);
    sessionStorage.setItem(TOKEN_KEY, token);
    await this.keepSession();
  }

  /** Renews the read session now (resolving once it is set) and every few minutes while a token is kept. */
  async keepSession(): Promise<void> {
    window.clearInterval(this.renewTimer);
    if (!this.token()) return;
    const renew = async () => {
      const token = this.token();
      if (token)
        await fetch('/dashboard/session', { method: 'POST', headers: this.headers(token) }).catch(
          () => undefined,
        );
    };
    this.renewTimer = window.setInterval(() => void renew(), RENEW_SESSION_MS);
    await renew();
  }

  async forgetToken(): Promise<void> {
    sessionStorage.removeItem(TOKEN_KEY);
    window.clearInterval(this.renewTimer);
    await fetch('/dashboard/session', { method: 'DELETE' });
  }

  async get<T>(path: string): Promise<T> {
    const response = await fetch(path, { headers: this.headers(this.token()) });
    if (!response.ok) throw await errorOf(response);
    return (await response.json()) as T;
  }

  async send<T>(method: 'POST' | 'DELETE', path: string): Promise<T> {
    const response = await fetch(path, { method, headers: this.headers(this.token()) });
    if (!response.ok) throw await errorOf(response);
    return (await response.json().catch(() => undefined)) as T;
  }

  headers(token: string | null): Record<string, string> {
    return token ? { authorization: `Bearer ${token}` } : {};
  }
}
