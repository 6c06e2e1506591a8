// Package emu runs sffake as the standalone emulator sfemu: its [Config]
// (a YAML file with line-accurate errors, see [Load], reported as
// svcconfig's Problem and ValidationError like the services'), [Run], which
// starts the org, seeds the territory dataset and churns it until its
// context ends, and [Tail], which subscribes to a topic with the generated
// Pub/Sub API stubs and prints one line per event.
package emu
