/*
 * exitcodes.h - the exit statuses of every kismet-es tool, defined once.
 *
 * The values follow <sysexits.h> so that a shell, cron or systemd can tell the
 * failure classes apart.  Every man page lists the same table in EXIT STATUS.
 */
#ifndef KES_EXITCODES_H
#define KES_EXITCODES_H

#define KES_EXIT_OK          0  /* everything read was resolved                 */
#define KES_EXIT_USAGE      64  /* bad option or combination of options        */
#define KES_EXIT_DATAERR    65  /* bad input: lines rejected (dead-lettered)    */
#define KES_EXIT_NOINPUT    66  /* an input file could not be opened            */
#define KES_EXIT_UNAVAIL    69  /* server unreachable after the allowed retries */
#define KES_EXIT_SOFTWARE   70  /* internal error (a bug)                       */
#define KES_EXIT_CANTCREAT  73  /* an output file could not be created          */
#define KES_EXIT_IOERR      74  /* I/O error on stdout, the spool or a file     */
#define KES_EXIT_TEMPFAIL   75  /* stopped with work still pending: run again   */
#define KES_EXIT_NOPERM     77  /* authentication or authorisation refused      */
#define KES_EXIT_CONFIG     78  /* configuration error (bad file, bad secret)   */

#endif
