import { servedContentType } from '../../../../../shared/src/http/content-type.ts';
import type { FileStatus } from '../../store/metadata-store.ts';

/** The status object of API.md, plus `contentType`: the type downloads are served with. */
export function statusBody(file: FileStatus) {
  return {
    id: file.id,
    name: file.name,
    size: file.size,
    sha256: file.sha256,
    contentType: servedContentType(file.contentType),
    createdAt: file.createdAt,
    status: `UPLOAD_OK ${file.replicas}`,
    replicas: file.replicas,
    target: file.target,
    nodes: file.nodes,
  };
}
