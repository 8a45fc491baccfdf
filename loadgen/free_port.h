// Loopback ports for the servers that tests and benchmarks start (nats-server, roostd,
// redis-server), chosen before the server binds them.
//
// A port is picked at random below the kernel's ephemeral range: the kernel gives the
// local ends of outgoing connections ports from that range, so a port picked there (as
// binding port 0 does) can be taken by any connection on the machine before the
// server binds it. Below the range only another process picking ports on purpose can
// take it, and random picks make that unlikely.
#ifndef ROOST_LOADGEN_FREE_PORT_H_
#define ROOST_LOADGEN_FREE_PORT_H_

namespace roost::loadgen {

// A loopback TCP port nothing was bound to a moment ago, and not returned before by
// this process; 0 when none could be found.
int FreeLoopbackPort();

}  // namespace roost::loadgen

#endif  // ROOST_LOADGEN_FREE_PORT_H_
