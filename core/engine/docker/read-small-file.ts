import type { DockerClient } from '../../kernel/docker-client.js';

/**
 * A small file of the image, whole: null when absent, an error past `maxBytes`, since an image may
 * ship anything at any path and a config file has no business being large.
 */
export async function readSmallFile(docker: DockerClient, id: string, path: string, maxBytes = 1024 * 1024): Promise<Buffer | null> {
  const stream = await docker.openFile(id, path);
  if (stream === null) return null;
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    size += chunk.length;
    if (size > maxBytes) throw new Error(`${path} in the image is larger than ${maxBytes} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}
