/* Experiment for issue 13 (not a bench scenario yet): the receive cost of an
 * AF_PACKET rx ring, TPACKET_V2 (with or without PACKET_VNET_HDR, as tsfwd's
 * net_af_packet opens it) against TPACKET_V3 (blocks of 128 KiB, 1 ms retire
 * timeout). On veth the receive path runs on the sending CPU, so with a
 * saturating generator there and this consumer busy-polling on another CPU,
 * the frames/s received compare the kernel's per-frame work of the versions.
 * Run by bench/c/afp-rx-ring.sh.
 * usage: afp-rx-ring IFACE 2|3 SECONDS [vnet] -> "V2: N kpps received, drops D" */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <linux/if_packet.h>
#include <linux/if_ether.h>
#include <net/if.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
static double now(void){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec+t.tv_nsec/1e9;}
int main(int argc,char**argv){
  int v=atoi(argv[2]); double secs=atof(argv[3]); int vnet=argc>4;
  int fd=socket(AF_PACKET,SOCK_RAW,htons(ETH_P_ALL));
  int ver=v==3?TPACKET_V3:TPACKET_V2; setsockopt(fd,SOL_PACKET,PACKET_VERSION,&ver,sizeof ver);
  int one=1; if(vnet) setsockopt(fd,SOL_PACKET,PACKET_VNET_HDR,&one,sizeof one);
  setsockopt(fd,SOL_PACKET,PACKET_IGNORE_OUTGOING,&one,sizeof one);
  unsigned fsz=2048, fnr=1024; unsigned char *base; size_t len;
  static unsigned char buf[2048];
  if(v==3){struct tpacket_req3 r;memset(&r,0,sizeof r);r.tp_block_size=1<<17;r.tp_block_nr=16;r.tp_frame_size=fsz;r.tp_frame_nr=(r.tp_block_size/fsz)*r.tp_block_nr;r.tp_retire_blk_tov=1;
    if(setsockopt(fd,SOL_PACKET,PACKET_RX_RING,&r,sizeof r)<0){perror("ring3");return 1;} len=(size_t)r.tp_block_size*r.tp_block_nr;}
  else{struct tpacket_req r={1<<17,16,fsz,0};r.tp_frame_nr=(r.tp_block_size/fsz)*r.tp_block_nr; fnr=r.tp_frame_nr;
    if(setsockopt(fd,SOL_PACKET,PACKET_RX_RING,&r,sizeof r)<0){perror("ring2");return 1;} len=(size_t)r.tp_block_size*r.tp_block_nr;}
  base=mmap(0,len,PROT_READ|PROT_WRITE,MAP_SHARED|MAP_POPULATE,fd,0);
  struct sockaddr_ll sa={0};sa.sll_family=AF_PACKET;sa.sll_protocol=htons(ETH_P_ALL);sa.sll_ifindex=if_nametoindex(argv[1]);
  if(bind(fd,(void*)&sa,sizeof sa)<0){perror("bind");return 1;}
  unsigned long n=0,warm=0; double t0=now(),tw=0; unsigned head=0; volatile unsigned sink=0;
  while(1){
    double t=now(); if(!tw&&t-t0>1){tw=t;warm=n;} if(t-t0>1+secs)break;
    if(v==2){struct tpacket2_hdr*h=(void*)(base+(size_t)head*fsz);
      if(!(__atomic_load_n(&h->tp_status,__ATOMIC_ACQUIRE)&TP_STATUS_USER))continue;
      memcpy(buf,(unsigned char*)h+h->tp_mac,h->tp_snaplen);sink+=buf[0];
      __atomic_store_n(&h->tp_status,TP_STATUS_KERNEL,__ATOMIC_RELEASE);head=(head+1)%fnr;n++;}
    else{struct tpacket_block_desc*b=(void*)(base+(size_t)head*(1<<17));
      if(!(__atomic_load_n(&b->hdr.bh1.block_status,__ATOMIC_ACQUIRE)&TP_STATUS_USER))continue;
      struct tpacket3_hdr*p=(void*)((unsigned char*)b+b->hdr.bh1.offset_to_first_pkt);
      for(unsigned i=0;i<b->hdr.bh1.num_pkts;i++){memcpy(buf,(unsigned char*)p+p->tp_mac,p->tp_snaplen);sink+=buf[0];n++;p=(void*)((unsigned char*)p+p->tp_next_offset);}
      __atomic_store_n(&b->hdr.bh1.block_status,TP_STATUS_KERNEL,__ATOMIC_RELEASE);head=(head+1)%16;}
  }
  struct tpacket_stats_v3 st;socklen_t sl=sizeof st;getsockopt(fd,SOL_PACKET,PACKET_STATISTICS,&st,&sl);
  printf("V%d%s: %.0f kpps received, drops %u\n",v,vnet?"+vnet":"",(n-warm)/(now()-tw)/1e3,st.tp_drops);return 0;}
