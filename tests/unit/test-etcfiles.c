/* SPDX-License-Identifier: MIT */
/* Unit tests for net/etcfiles.c: a container's /etc/hosts and resolv.conf. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net/etcfiles.h"

static int n_test;

#define IP(a, b, c, d) ((uint32_t) (a) << 24 | (uint32_t) (b) << 16 | (uint32_t) (c) << 8 | (d))

static void expect(const char *what, char *got, const char *want)
{
    bool ok = got && strcmp(got, want) == 0;

    printf("%s %d - %s\n", ok ? "ok" : "not ok", ++n_test, what);
    if (!ok)
        printf("# got:\n%s# expected:\n%s", got ? got : "(null)\n", want);
    free(got);
    if (!ok)
        exit(1);
}

int main(void)
{
    struct hosts_entry self = {IP(10, 88, 0, 2), "web", "web"};
    struct hosts_entry peers[] = {{IP(10, 88, 0, 3), "db", "database"},
                                  {IP(10, 88, 0, 4), "c", NULL}};
    struct hosts_entry lonely = {0, "solo", "solo-host"};
    uint32_t servers[] = {IP(192, 0, 2, 53), IP(198, 51, 100, 53)};
    const char *head = "# Written by corral; rewritten when the container starts.\n"
                       "127.0.0.1\tlocalhost\n"
                       "::1\tlocalhost ip6-localhost ip6-loopback\n";
    char want[1024];

    printf("1..7\n");
    snprintf(want, sizeof(want), "%s10.88.0.2\tweb\n10.88.0.3\tdatabase db\n10.88.0.4\tc\n", head);
    expect("hosts: self and peers, hostname first", etc_hosts_render(&self, peers, 2), want);
    snprintf(want, sizeof(want), "%s127.0.1.1\tsolo-host solo\n", head);
    expect("hosts: no address (network = none)", etc_hosts_render(&lonely, NULL, 0), want);

    expect("resolv: dns = ADDR list", etc_resolv_render("nameserver 1.1.1.1\n", NULL, servers, 2),
           "# Written by corral.\nnameserver 192.0.2.53\nnameserver 198.51.100.53\n");
    expect("resolv: the host's, loopback servers dropped",
           etc_resolv_render("search example.org\nnameserver 127.0.0.1\nnameserver 192.0.2.1\n"
                             "options ndots:2\n",
                             NULL, NULL, 0),
           "# Written by corral.\nsearch example.org\nnameserver 192.0.2.1\noptions ndots:2\n");
    expect("resolv: systemd-resolved's stub -> its upstream list",
           etc_resolv_render("nameserver 127.0.0.53\noptions edns0 trust-ad\nsearch lan\n",
                             "nameserver 192.0.2.7\nnameserver ::1\nsearch lan\n", NULL, 0),
           "# Written by corral.\nnameserver 192.0.2.7\nsearch lan\n");
    expect("resolv: stub without an upstream file keeps the rest",
           etc_resolv_render("nameserver 127.0.0.53\nsearch lan\n", NULL, NULL, 0),
           "# Written by corral.\nsearch lan\n");
    expect("resolv: no host file", etc_resolv_render(NULL, NULL, NULL, 0),
           "# Written by corral.\n");
    return 0;
}
