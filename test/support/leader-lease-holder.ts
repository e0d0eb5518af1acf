// Holds the collectors' leader lease from inside a test network namespace (test/postgres-keepalive.test.ts):
// one JSON line on stdout per change, so the test sees when this process leads and when it stops.
import { LeaderLease } from '../../collector/state/sql/leader-lease.ts';

const connection = JSON.parse(process.argv[2] ?? '{}') as Record<string, unknown>;
const lease = new LeaderLease({ connection });
lease.on('acquired', () => console.log(JSON.stringify({ event: 'acquired', at: Date.now() })));
lease.on('lost', () => console.log(JSON.stringify({ event: 'lost', at: Date.now() })));
lease.start();
process.on('SIGTERM', () => void lease.stop().then(() => process.exit(0)));
