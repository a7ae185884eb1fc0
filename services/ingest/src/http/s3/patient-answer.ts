import type { Response } from 'express';
import type { Logger } from '../../../../../shared/src/logger.ts';
import { sendXml } from './respond.ts';
import { toS3Error } from './s3-error.ts';
import { type XmlElement, xmlDeclaration, xmlElement } from './xml.ts';

/** Silence after which the answer starts, and then the gap between the spaces that keep it alive. */
const FIRST_BYTE_MS = 5_000;
const KEEPALIVE_MS = 10_000;

/**
 * Answers an operation that may outlast a client's read timeout (CompleteMultipartUpload of a
 * large object, which reads every part once) the way S3 does: when it takes long, `200` and the
 * XML declaration go out early, then a space every few seconds, then the result, or an
 * `<Error>` document in the same 200 body (which the SDKs and aws-cli check for).
 */
export async function answerPatiently(
  res: Response,
  logger: Logger,
  work: () => Promise<{ root: string; body: XmlElement }>,
): Promise<void> {
  let started = false;
  let timer = setTimeout(function keepAlive() {
    if (!started) {
      started = true;
      res.status(200).type('application/xml');
      res.write(xmlDeclaration());
    } else res.write(' ');
    timer = setTimeout(keepAlive, KEEPALIVE_MS);
  }, FIRST_BYTE_MS);
  try {
    const { root, body } = await work();
    clearTimeout(timer);
    if (started) res.end(xmlElement(root, body));
    else sendXml(res, root, body);
  } catch (err) {
    clearTimeout(timer);
    if (!started) throw err;
    const error = toS3Error(err);
    if (error.code === 'InternalError') logger.error({ err }, 'S3 request failed after its answer began');
    else logger.info({ code: error.code }, error.message);
    res.end(xmlElement('Error', { Code: error.code, Message: error.message, ...error.details }, false));
  }
}
