/*
 * version.h - the kismet-es release, one number for all three tools.
 */
#ifndef KES_VERSION_H
#define KES_VERSION_H

#define KES_VERSION "0.1.0"

#endif
