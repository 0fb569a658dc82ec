/* port.c - prints a free TCP port on 127.0.0.1 (what the kernel hands out
 * for port 0), for the launchers; starts in a millisecond, unlike a program
 * that loads libtorch. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>

int main(void) {
  int s = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET};
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t n = sizeof a;
  if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof a) ||
      getsockname(s, (struct sockaddr *)&a, &n)) {
    perror("port");
    return 1;
  }
  printf("%d\n", ntohs(a.sin_port));
  close(s);
  return 0;
}
