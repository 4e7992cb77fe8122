/**
 * Round trips per second through NativeTransport against the real kernel: the library's
 * CTRL_CMD_GETFAMILY "nlctrl" request (with NLM_F_ACK), answered by a reply and an ack.
 *
 *   npx tsc -p . && node dist/bench/native-roundtrip.js [seconds per run] [runs] [exact|peek|bounded|all]
 *
 * Prints round trips per second for serial requests (send, then poll() at once) and
 * for 64 in flight, in the receive modes asked for (all by default). Each round trip
 * costs one sendmsg and, in peek mode, a peek and a read per datagram received (the
 * reply, the ack); in exact mode (batched, with reserves) one recvmmsg reads up to 16
 * datagrams, in bounded mode up to 32. poll() stops once every request is answered.
 */
import { NativeTransport } from '../src/genl/transport-native';
import { getFamilyRequest } from '../src/genl/nlctrl';
import type { SocketOptions } from '../src/genl/transport';

type Mode = NonNullable<SocketOptions['receive']>;

const NLMSG_ERROR = 2;

function run(seconds: number, window: number, receive: Mode): number {
  const t = NativeTransport.open({ receive });
  const req = getFamilyRequest('nlctrl'); // NLM_F_REQUEST | NLM_F_ACK: a reply and an ack
  const bufs = [req];
  let acks = 0;
  t.start({
    message(d) {
      // Each datagram holds one message here: the reply or the ack.
      if (d.readUInt16LE(4) === NLMSG_ERROR) {
        if (d.readInt32LE(16) !== 0) throw new Error(`kernel error ${d.readInt32LE(16)}`);
        acks++;
      }
    },
    overrun() {
      throw new Error('overrun');
    },
    error(err) {
      throw err;
    },
  });
  let sent = 0;
  let seq = 1;
  // As the engine does: stop reading once every request has its answer.
  const allAnswered = (): boolean => acks === sent;
  const deadline = process.hrtime.bigint() + BigInt(Math.round(seconds * 1e9));
  const start = process.hrtime.bigint();
  let now = start;
  while (now < deadline) {
    for (let i = 0; i < 1000; i++) {
      while (sent - acks < window) {
        req.writeUInt32LE(seq++, 8);
        t.send(bufs);
        sent++;
      }
      t.poll(allAnswered);
    }
    now = process.hrtime.bigint();
  }
  while (acks < sent) t.poll();
  const elapsed = Number(process.hrtime.bigint() - start) / 1e9;
  t.close();
  return acks / elapsed;
}

const seconds = Number(process.argv[2] ?? 2);
const repeats = Number(process.argv[3] ?? 3);
const which = process.argv[4] ?? 'all';
if (which !== 'exact' && which !== 'peek' && which !== 'bounded' && which !== 'all') throw new Error(`receive mode ${which}: exact, peek, bounded or all`);
const modes: Mode[] = which === 'all' ? ['exact', 'peek', 'bounded'] : [which];
for (const mode of modes) run(0.3, 1, mode); // warm-up
for (const window of [1, 64]) {
  for (const mode of modes) {
    const rates: number[] = [];
    for (let i = 0; i < repeats; i++) rates.push(run(seconds, window, mode));
    rates.sort((a, b) => a - b);
    const fmt = (r: number): string => Math.round(r).toLocaleString('en-US');
    const label = window === 1 ? 'serial (send, then poll)' : `${window} in flight`;
    const best = fmt(rates[rates.length - 1]!);
    const median = fmt(rates[rates.length >> 1]!);
    console.log(`native ${mode}, GETFAMILY nlctrl + ack, ${label}: best ${best}/s, median ${median}/s over ${repeats} runs of ${seconds}s`);
  }
}
