/*
 * tests/plugins/no_entry.c: a shared object without the bpass_processors
 * entry point.
 */
int not_a_bpass_plugin(void);

int not_a_bpass_plugin(void)
{
	return 42;
}
