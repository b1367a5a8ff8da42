// A busybox OCI image built offline from Debian's busybox-static: one uncompressed layer tar,
// the image config, the manifest and an index in an OCI image layout, packed as the tar that
// `ctr image import` reads. No registry, no download.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { copyRootfs } from './rootfs.js';

const GOARCH: Record<string, string> = { x64: 'amd64', arm64: 'arm64' };

export interface BuiltImage {
  /** The image layout packed as a tar. */
  tar: string;
  /** The name containerd gives the image (from the index's io.containerd.image.name). */
  name: string;
  /** The manifest's digest. */
  manifestDigest: string;
}

/** Build the image under `dir` (which must exist) and return where its archive is. */
export function buildBusyboxImage(dir: string, name = 'localhost/ocirun-test/busybox:latest'): BuiltImage {
  const architecture = GOARCH[process.arch];
  if (!architecture) throw new Error(`no OCI architecture name for ${process.arch}`);
  const layout = join(dir, 'layout');
  const blobs = join(layout, 'blobs', 'sha256');
  mkdirSync(blobs, { recursive: true });
  const blob = (bytes: Buffer): { digest: string; size: number } => {
    const hex = createHash('sha256').update(bytes).digest('hex');
    writeFileSync(join(blobs, hex), bytes);
    return { digest: `sha256:${hex}`, size: bytes.length };
  };

  // The layer: the test rootfs, owned by root whoever builds it.
  const rootfs = copyRootfs(join(dir, 'rootfs'));
  const layerTar = join(dir, 'layer.tar');
  execFileSync('tar', ['--numeric-owner', '--owner=0', '--group=0', '--sort=name', '--mtime=@0', '-C', rootfs, '-cf', layerTar, '.']);
  rmSync(rootfs, { recursive: true, force: true });
  const layer = blob(readFileSync(layerTar));
  rmSync(layerTar);

  const config = blob(
    Buffer.from(
      JSON.stringify({
        architecture,
        os: 'linux',
        config: { Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'], Cmd: ['sh'], WorkingDir: '/' },
        // Uncompressed layer: its diff id is its digest.
        rootfs: { type: 'layers', diff_ids: [layer.digest] },
      }),
    ),
  );
  const manifest = blob(
    Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config },
        layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', ...layer }],
      }),
    ),
  );
  const index = {
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.index.v1+json',
    manifests: [
      {
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        ...manifest,
        platform: { architecture, os: 'linux' },
        annotations: { 'io.containerd.image.name': name, 'org.opencontainers.image.ref.name': name.split(':').at(-1) },
      },
    ],
  };
  writeFileSync(join(layout, 'index.json'), JSON.stringify(index));
  writeFileSync(join(layout, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  const tar = join(dir, 'image.tar');
  execFileSync('tar', ['-C', layout, '-cf', tar, '.']);
  rmSync(layout, { recursive: true, force: true });
  return { tar, name, manifestDigest: manifest.digest };
}
