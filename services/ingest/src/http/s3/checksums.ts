import { createHash } from 'node:crypto';
import { crc32 } from 'node:zlib';
import { Crc32c } from '@aws-crypto/crc32c';
import { Crc64Nvme } from '@aws-sdk/crc64-nvme';
import { S3Error } from './s3-error.ts';

/** The flexible checksums of S3 (`x-amz-checksum-<algorithm>`), each verified on the payload. */
export const CHECKSUM_ALGORITHMS = ['crc32', 'crc32c', 'crc64nvme', 'sha1', 'sha256'] as const;
export type ChecksumAlgorithm = (typeof CHECKSUM_ALGORITHMS)[number];

/** Digest length in bytes, to refuse a malformed value before reading the body. */
const DIGEST_BYTES: Record<ChecksumAlgorithm, number> = {
  crc32: 4,
  crc32c: 4,
  crc64nvme: 8,
  sha1: 20,
  sha256: 32,
};

/** A running checksum; `digest` is base64 of the big-endian bytes, as S3 writes it. */
export interface Checksum {
  update(data: Buffer): void;
  digest(): Promise<string>;
}

/**
 * crc32 is zlib's (native since Node 20.15); crc32c is @aws-crypto/crc32c and crc64nvme is
 * @aws-sdk/crc64-nvme, the implementations the AWS SDKs themselves compute with, so what we
 * verify is exactly what the clients computed.
 */
export function newChecksum(algorithm: ChecksumAlgorithm): Checksum {
  switch (algorithm) {
    case 'crc32': {
      let value = 0;
      return {
        update: (data) => {
          value = crc32(data, value);
        },
        digest: async () => uint32(value),
      };
    }
    case 'crc32c': {
      const crc = new Crc32c();
      return { update: (data) => void crc.update(data), digest: async () => uint32(crc.digest()) };
    }
    case 'crc64nvme': {
      const crc = new Crc64Nvme();
      return {
        update: (data) => crc.update(data),
        digest: async () => Buffer.from(await crc.digest()).toString('base64'),
      };
    }
    case 'sha1':
    case 'sha256': {
      const hash = createHash(algorithm);
      return { update: (data) => void hash.update(data), digest: async () => hash.digest('base64') };
    }
  }
}

function uint32(value: number): string {
  const bytes = Buffer.alloc(4);
  bytes.writeUInt32BE(value >>> 0);
  return bytes.toString('base64');
}

export function checksumHeader(algorithm: ChecksumAlgorithm): string {
  return `x-amz-checksum-${algorithm}`;
}

/** `x-amz-checksum-crc32` → `crc32`; undefined for a header that names no algorithm we know. */
export function algorithmOfHeader(name: string): ChecksumAlgorithm | undefined {
  const match = /^x-amz-checksum-([a-z0-9]+)$/.exec(name.toLowerCase());
  return CHECKSUM_ALGORITHMS.find((a) => a === match?.[1]);
}

/** An `x-amz-checksum-algorithm` or `x-amz-sdk-checksum-algorithm` value (CRC32, SHA256, ...). */
export function parseAlgorithm(value: string): ChecksumAlgorithm {
  const algorithm = CHECKSUM_ALGORITHMS.find((a) => a === value.toLowerCase());
  if (!algorithm) throw new S3Error('InvalidRequest', `Checksum algorithm ${value} is not supported.`);
  return algorithm;
}

/** Refuses a checksum value that cannot be a digest of the algorithm. */
export function checkChecksumValue(algorithm: ChecksumAlgorithm, value: string): void {
  const bytes = Buffer.from(value, 'base64');
  if (bytes.length !== DIGEST_BYTES[algorithm] || bytes.toString('base64') !== value)
    throw new S3Error('InvalidRequest', `Value for ${checksumHeader(algorithm)} header is invalid.`);
}
