// The Paddle parameter manifest (/work/shared/paddle_param_manifest.json, copied to test/fixtures): every zoo
// model's parameter names, shapes and kinds in creation order at class_dim 1000.
import { readFileSync } from 'node:fs';

export type ManifestKind = 'conv' | 'conv_bias' | 'bn_scale' | 'bn_offset' | 'bn_mean' | 'bn_var' | 'fc' | 'fc_bias';

export interface ManifestModel {
  input: [number, number, number];
  n_tensors: number;
  total_elems: number;
  trainable_elems: number;
  params: [string, number[], ManifestKind][];
}

let cache: Record<string, ManifestModel> | undefined;

export function loadManifest(): Record<string, ManifestModel> {
  if (!cache) {
    const raw = JSON.parse(readFileSync(new URL('../../../test/fixtures/paddle_param_manifest.json', import.meta.url), 'utf8')) as Record<string, unknown>;
    delete raw['_about'];
    cache = raw as Record<string, ManifestModel>;
  }
  return cache;
}

export function manifestNames(): string[] {
  return Object.keys(loadManifest());
}
