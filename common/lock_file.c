/*
 * common/lock_file.c: flock(2) on a lock file (see lock_file.h).
 */
#include "lock_file.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "log.h"

int lock_file_take(const char *path, bool wait, bool cloexec)
{
	int fd = open(path, O_RDWR | O_CREAT | (cloexec ? O_CLOEXEC : 0), 0644);
	if (fd < 0)
		return log_error("could not open lock file \"%s\": %s", path, strerror(errno));
	for (;;) {
		if (flock(fd, LOCK_EX | (wait ? 0 : LOCK_NB)) == 0)
			return fd;
		if (errno == EINTR)
			continue;
		int e = errno;
		close(fd);
		if (e == EWOULDBLOCK)
			return LOCK_FILE_BUSY;
		return log_error("could not lock \"%s\": %s", path, strerror(e));
	}
}
