// The dataplane's narrow ports onto the kernel. Each has a real adapter in src/dataplane/linux
// and a fake beside its manager for unit tests.

/** nftables: whole-text transactions and table listings. */
export interface Nft {
  /** Applies nft script text as one transaction (`nft -f -`): all of it or none of it. */
  apply(text: string): Promise<void>;
  /** `nft -j list table <family> <name>`, parsed; null when the table does not exist. */
  listTable(family: string, name: string): Promise<unknown | null>;
}
