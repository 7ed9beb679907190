// Command hoptrace answers "the user paid: why did they never get their red packet?" from order-service logs,
// red-packet-service logs and RocketMQ message traces. See README.md.
package main

import "os"

func main() { os.Exit(Main(os.Args[1:], newEnv())) }
