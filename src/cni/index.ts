export { runIpamPlugin, DEFAULT_NODENAME_FILE, type PluginIO, type PluginOutcome } from './ipam-plugin.js';
export { CNI_ERR, CniError, SUPPORTED_VERSIONS } from './protocol/index.js';
