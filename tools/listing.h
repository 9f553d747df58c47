/*
 * tools/listing.h: the shared body of the index listing commands
 * (`bpass sessions INDEX [--csv]`, `bpass rejects INDEX [--csv]`): parse
 * --csv and -h/--help, open INDEX read-only, collect the rows into a table
 * (table.h) and print it as aligned text or CSV.
 */
#ifndef TOOLS_LISTING_H
#define TOOLS_LISTING_H

#include <stdint.h>
#include <stdio.h>

#include "index_db.h"
#include "table.h"

struct listing {
	const char *what;          /* the list in messages, e.g. "session list" */
	void (*usage)(FILE *f);    /* prints the command's usage to f */
	uint32_t ncols;
	const char *const *head;   /* ncols column names (table_init) */
	const char *align;         /* one 'l' or 'r' per column (table_init) */
	/* Adds every row of db to t. Returns 0, or -1 after a message. */
	int (*fill)(struct index_db *db, struct table *t);
};

/* Runs the listing command l with its argv. Returns EXIT_OK, EXIT_USAGE
 * (after a message and the usage on stderr) or EXIT_FAILURES. */
int listing_run(const struct listing *l, int argc, char **argv);

#endif
