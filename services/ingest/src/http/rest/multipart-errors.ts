import multer from 'multer';
import { AppError } from '../../../../../shared/src/errors.ts';
import { uploadError } from '../../uploads/upload-errors.ts';

/** What each multer refusal tells the client; LIMIT_FILE_SIZE is a 413, the rest are 400. */
const MULTER_MESSAGES: Record<string, string> = {
  LIMIT_PART_COUNT: 'too many parts in the form',
  LIMIT_FILE_COUNT: 'send exactly one file, in field "file"',
  LIMIT_UNEXPECTED_FILE: 'send the file in field "file" and no other file',
  LIMIT_FIELD_KEY: 'a field name is too long',
  LIMIT_FIELD_VALUE: 'a field value is too long',
  LIMIT_FIELD_COUNT: 'too many fields in the form',
  LIMIT_FIELD_NESTING: 'a field name is nested too deeply',
  LIMIT_FIELD_ARRAY_INDEX: 'a field name has too large an array index',
  MISSING_FIELD_NAME: 'a form part has no field name',
  INVALID_FIELD_NAME: 'a field name is invalid',
};

/** What reading a multipart upload can throw, as the API's errors: multer's and busboy's first. */
export function multipartError(err: unknown): unknown {
  if (err instanceof multer.MulterError) {
    if (err.code === 'LIMIT_FILE_SIZE') return new AppError('PAYLOAD_TOO_LARGE', 'file is too large');
    return new AppError('MALFORMED_UPLOAD', MULTER_MESSAGES[err.code] ?? 'malformed multipart body');
  }
  // busboy's parse errors carry no code, only their text.
  if (
    err instanceof Error &&
    !(err instanceof AppError) &&
    !('code' in err) &&
    /multipart|boundary|part header|end of form/i.test(err.message)
  ) {
    return new AppError('MALFORMED_UPLOAD', 'malformed multipart body');
  }
  return uploadError(err);
}
