export { NftCli, type NftCliOptions } from './nft-cli.js';
