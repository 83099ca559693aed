/**
 * Model ids of the built-in catalog; any other string is accepted too, for models added by
 * configuration (autocompletion without closing the set).
 */
export type StabilityModelId =
  | 'stable-image-ultra'
  | 'stable-image-core'
  | 'sd3.5-large'
  | 'sd3.5-large-turbo'
  | 'sd3.5-medium'
  | 'sd3.5-flash'
  | 'stable-diffusion-xl-1024-v1-0'
  | (string & {});
