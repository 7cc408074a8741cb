// Package node wires the sidenode daemon together: its configuration, its
// logging and the Run function that starts and stops the subsystems.
//
// Configuration is loaded by LoadConfig in four steps: built-in defaults,
// a pre-parse of the command line for --configfile, --version and --help,
// the INI config file, and finally the command line again, so that flags
// override the file and the file overrides the defaults. Options of one
// subsystem share a namespace: they are written --btcd.rpchost on the
// command line and btcd.rpchost= in the [btcd] section of the file. The
// sample config file is embedded in the binary (SampleConfig), and a test
// keeps it in step with the Config struct.
//
// Logging follows btcd: one btclog backend writes to standard output and to
// a rotating file under <logdir>/<network>/, and each subsystem has a logger
// with a four-letter tag whose level --debuglevel sets, for example
// info,MWCH=debug. The loggers of other packages are handed to them with
// their UseLogger functions from the subsystems table in log.go; a test
// fails when a package of the module declares UseLogger and is not in it.
//
// Each network keeps its data in its own directory, <datadir>/<network>/
// (Config.NetworkDir), so one data dir can hold a mainnet and a regtest node
// side by side. Before writing anything, Run refuses a data dir that is a
// file, cannot be read, is one network's dir given as the data dir, or
// whose network dir holds files sidenode never writes (datadir.go); the
// store refuses a state dir of another network before opening it.
package node
