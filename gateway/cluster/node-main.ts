import { runBrokerNode } from './node.js';

/** Entry of a broker node process (forked by gateway/cluster/nodes.ts). */
runBrokerNode();
