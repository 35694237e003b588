import { z } from "zod";

/** docker save's manifest.json: one entry per image, paths inside the archive. */
export const dockerManifestSchema = z
  .array(
    z.looseObject({
      Config: z.string(),
      Layers: z.array(z.string()),
      RepoTags: z.array(z.string()).nullish(),
    }),
  )
  .min(1);

export const platformSchema = z.looseObject({
  os: z.string(),
  architecture: z.string(),
  variant: z.string().optional(),
});

export const descriptorSchema = z.looseObject({
  mediaType: z.string().optional(),
  digest: z.string(),
  size: z.number().optional(),
  platform: platformSchema.optional(),
  annotations: z.record(z.string(), z.string()).nullish(),
});
export type Descriptor = z.infer<typeof descriptorSchema>;

export const indexSchema = z.looseObject({
  manifests: z.array(descriptorSchema).nullish(),
  annotations: z.record(z.string(), z.string()).nullish(),
});

export const imageManifestSchema = z.looseObject({
  config: descriptorSchema,
  layers: z.array(descriptorSchema).nullish(),
  annotations: z.record(z.string(), z.string()).nullish(),
});
