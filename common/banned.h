/*
 * common/banned.h: C library functions bpass code must not call, made
 * compile errors (after git's banned.h). The Makefile force-includes this
 * file (-include common/banned.h) into every library and tool source, except
 * the files listed in its BANNED_EXEMPT; tests and plugins are not affected.
 *
 * Why each is banned, and what to use instead:
 *   sprintf, vsprintf, strcpy, strcat     no bound: snprintf, buf_printf,
 *                                         buf_puts, memcpy with a known length
 *   strncpy, strncat                      truncate silently, strncpy does not
 *                                         always terminate: snprintf, buf_append
 *   sscanf, vsscanf, atoi, atol, atoll    no error reporting, overflow is
 *                                         undefined, slow in hot paths:
 *                                         strtol/strtoull with an end check, or
 *                                         a hand-written scanner (update_parse.c)
 *   gets                                  no bound at all
 *   strtok, strtok_r                      hidden state, modify their input:
 *                                         strchr/strcspn
 *   gmtime, localtime, ctime, asctime     static buffers shared by every
 *   (and ctime_r, asctime_r)              caller: gmtime_r, timeutil.h
 *   mktemp, tmpnam, tempnam               race between naming and creating:
 *                                         mkstemp, mkdtemp, atomic_file.h
 *
 * The macros only catch calls, written name(...): a name used any other way
 * is left alone. The headers that declare these functions, and library
 * headers whose inline functions call them (hwloc.h uses sscanf), are
 * included first, so that only our own calls are caught.
 */
#ifndef COMMON_BANNED_H
#define COMMON_BANNED_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <hwloc.h>

#define BANNED(func) sorry_##func##_is_a_banned_function

#undef sprintf
#define sprintf(...) BANNED(sprintf)
#undef vsprintf
#define vsprintf(...) BANNED(vsprintf)
#undef strcpy
#define strcpy(x, y) BANNED(strcpy)
#undef strcat
#define strcat(x, y) BANNED(strcat)
#undef strncpy
#define strncpy(x, y, n) BANNED(strncpy)
#undef strncat
#define strncat(x, y, n) BANNED(strncat)

#undef sscanf
#define sscanf(...) BANNED(sscanf)
#undef vsscanf
#define vsscanf(...) BANNED(vsscanf)
#undef atoi
#define atoi(s) BANNED(atoi)
#undef atol
#define atol(s) BANNED(atol)
#undef atoll
#define atoll(s) BANNED(atoll)
#undef gets
#define gets(s) BANNED(gets)

#undef strtok
#define strtok(s, d) BANNED(strtok)
#undef strtok_r
#define strtok_r(s, d, p) BANNED(strtok_r)

#undef gmtime
#define gmtime(t) BANNED(gmtime)
#undef localtime
#define localtime(t) BANNED(localtime)
#undef ctime
#define ctime(t) BANNED(ctime)
#undef ctime_r
#define ctime_r(t, buf) BANNED(ctime_r)
#undef asctime
#define asctime(t) BANNED(asctime)
#undef asctime_r
#define asctime_r(t, buf) BANNED(asctime_r)

#undef mktemp
#define mktemp(t) BANNED(mktemp)
#undef tmpnam
#define tmpnam(s) BANNED(tmpnam)
#undef tempnam
#define tempnam(d, p) BANNED(tempnam)

#endif
