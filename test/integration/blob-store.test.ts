import { TieredBlobStore } from '../../shared/src/fs/tiered-blob-store.ts';
import { MAX_INLINE_FILE_BYTES } from '../../shared/src/messages/replicate-files.ts';
import { anyKindDamage, plainFileDamage, smallTableDamage } from '../support/blob-damage.ts';
import { blobStoreContract } from './blob-store-contract.ts';

const opened = async (root: string, smallMaxBytes: number) => {
  const store = new TieredBlobStore(root, { smallMaxBytes });
  await store.open();
  return store;
};

blobStoreContract('plain files (threshold 0)', {
  open: (root) => opened(root, 0),
  damage: plainFileDamage,
});

blobStoreContract('small-file table (every file small)', {
  open: (root) => opened(root, MAX_INLINE_FILE_BYTES),
  damage: smallTableDamage,
});

blobStoreContract('both kinds (threshold 1 KB)', {
  open: (root) => opened(root, 1000),
  damage: anyKindDamage,
});
