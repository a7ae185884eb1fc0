import { AppError, type ErrorCode } from '../../../../../shared/src/errors.ts';

/** S3's error codes this front end answers with, and their statuses (one table, in one place). */
export const S3ErrorStatus = {
  AccessDenied: 403,
  AuthorizationHeaderMalformed: 400,
  AuthorizationQueryParametersError: 400,
  BadDigest: 400,
  BucketAlreadyOwnedByYou: 409,
  BucketNotEmpty: 409,
  EntityTooLarge: 400,
  EntityTooSmall: 400,
  IllegalLocationConstraintException: 400,
  IncompleteBody: 400,
  InternalError: 500,
  InvalidAccessKeyId: 403,
  InvalidArgument: 400,
  InvalidBucketName: 400,
  InvalidDigest: 400,
  InvalidPart: 400,
  InvalidPartOrder: 400,
  InvalidRange: 416,
  InvalidRequest: 400,
  InvalidURI: 400,
  KeyTooLongError: 400,
  MalformedXML: 400,
  MaxMessageLengthExceeded: 400,
  MetadataTooLarge: 400,
  MethodNotAllowed: 405,
  MissingContentLength: 411,
  NoSuchBucket: 404,
  NoSuchBucketPolicy: 404,
  NoSuchCORSConfiguration: 404,
  NoSuchKey: 404,
  NoSuchLifecycleConfiguration: 404,
  NoSuchTagSet: 404,
  NoSuchUpload: 404,
  NoSuchVersion: 404,
  NoSuchWebsiteConfiguration: 404,
  NotImplemented: 501,
  ObjectLockConfigurationNotFoundError: 404,
  OperationAborted: 409,
  PreconditionFailed: 412,
  RequestTimeout: 400,
  RequestTimeTooSkewed: 403,
  ServerSideEncryptionConfigurationNotFoundError: 404,
  ServiceUnavailable: 503,
  SignatureDoesNotMatch: 403,
  SlowDown: 503,
  XAmzContentSHA256Mismatch: 400,
} as const;

export type S3ErrorCode = keyof typeof S3ErrorStatus;

/** An error answered as S3's XML `<Error>`; `details` become extra elements (e.g. `<Region>`). */
export class S3Error extends Error {
  readonly status: number;

  constructor(
    readonly code: S3ErrorCode,
    message: string,
    readonly details: Record<string, string> = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'S3Error';
    this.status = S3ErrorStatus[code];
  }
}

/** How the service's own error codes read in S3 (the upload service and stores throw these). */
const FROM_APP_ERROR: Partial<Record<ErrorCode, S3ErrorCode>> = {
  BAD_REQUEST: 'InvalidRequest',
  INVALID_ID: 'InvalidArgument',
  MISSING_FILE: 'InvalidRequest',
  MALFORMED_UPLOAD: 'InvalidRequest',
  UNAUTHORIZED: 'AccessDenied',
  NOT_FOUND: 'NoSuchKey',
  REQUEST_TIMEOUT: 'RequestTimeout',
  PAYLOAD_TOO_LARGE: 'EntityTooLarge',
  RANGE_NOT_SATISFIABLE: 'InvalidRange',
  HEADERS_TOO_LARGE: 'MaxMessageLengthExceeded',
  CLIENT_CLOSED: 'IncompleteBody',
  INTERNAL: 'InternalError',
  BAD_GATEWAY: 'ServiceUnavailable',
  NOT_READY: 'ServiceUnavailable',
  STORAGE_UNAVAILABLE: 'SlowDown',
};

/** Whatever a handler threw, as an S3Error; anything unknown is an InternalError with no details. */
export function toS3Error(err: unknown): S3Error {
  if (err instanceof S3Error) return err;
  if (err instanceof AppError) {
    return new S3Error(FROM_APP_ERROR[err.code] ?? 'InternalError', err.message, {}, { cause: err });
  }
  if (err instanceof URIError) return new S3Error('InvalidURI', 'the URL is not valid percent-encoded UTF-8');
  return new S3Error(
    'InternalError',
    'We encountered an internal error. Please try again.',
    {},
    { cause: err },
  );
}
