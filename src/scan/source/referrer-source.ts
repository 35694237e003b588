/** One listing of the artifacts attached to a manifest outside its image. */
export type ReferrerListing =
  /** an image index of referrers: a page of the referrers API, or the referrers tag schema's tag */
  | {
      readonly kind: "index";
      /** `referrers API`, `tag sha256-…` */
      readonly via: string;
      readonly bytes: Buffer;
      /** the index's own digest when it is a stored document (a tag), undefined for an API answer */
      readonly digest: string | undefined;
      /** more pages the source did not read (a limit, or a next page on another host) */
      readonly incomplete: boolean;
    }
  /** one manifest a tag names (cosign's `sha256-….att`, `.sig`, `.sbom`) */
  | { readonly kind: "manifest"; readonly via: string; readonly digest: string; readonly mediaType: string | undefined };

/**
 * Where a source finds the artifacts attached to an image outside it (docs/registries.md
 * "Referrers"): signatures, SBOMs and attestations pushed by cosign or OCI 1.1 tooling.
 */
export interface ReferrerSource {
  /** the digest of the index the reference names, when it names one (its referrers are looked up too) */
  topIndex(): string | undefined;
  /** every listing for `subject`; `cosign` adds cosign's three tags to the referrers API and tag */
  find(subject: string, options: { readonly cosign: boolean }): Promise<ReferrerListing[]>;
  /** a manifest a listing names, checked against its digest */
  manifest(digest: string): Promise<Buffer>;
}
