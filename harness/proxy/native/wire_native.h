/*
 * The wire layer's half of the native addon (harness/wire/ is its JavaScript side):
 *
 *   wire_netns.c   network namespaces, TUN devices, entering a namespace, reading the kernel's
 *                  counters from inside one, TCP_INFO
 *   wire_engine.c  the packet fault engine: a thread that moves packets between two TUN devices
 *                  and applies faults to them on the way
 *
 * Both add their functions to the addon's exports from the module's init (udp_batch.c).
 */
#ifndef FAULTLINE_WIRE_NATIVE_H
#define FAULTLINE_WIRE_NATIVE_H

#include <node_api.h>

napi_value wire_netns_init(napi_env env, napi_value exports);
napi_value wire_engine_init(napi_env env, napi_value exports);

#endif
