// Oracle for ft-runtime's ReadyQueue tests: replays push/pop scripts on
// std::priority_queue (libstdc++) and prints popped ids. Build: g++ -O2 -o pq libstdcxx_heap_oracle.cpp
// Oracle for the ReadyQueue: std::priority_queue (libstdc++) with a (depth, seq) comparator.
#include <queue>
#include <vector>
#include <cstdio>
#include <cstdint>
struct Task { uint32_t depth; uint64_t seq; int id; };
struct Cmp { bool operator()(const Task& a, const Task& b) const {
  if (a.depth == b.depth) return a.seq < b.seq; return a.depth < b.depth; } };
int main() {
  // script on stdin: lines "push depth seq id" or "pop"
  std::priority_queue<Task, std::vector<Task>, Cmp> q;
  char op[8]; unsigned d; unsigned long long s; int id;
  while (scanf("%7s", op) == 1) {
    if (op[1] == 'u') { scanf("%u %llu %d", &d, &s, &id); q.push(Task{d, s, id}); }
    else { printf("%d\n", q.top().id); q.pop(); }
  }
}
