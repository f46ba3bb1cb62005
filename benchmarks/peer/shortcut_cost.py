# The cost of the subsampled 1x1 shortcut (x[:, :, ::2, ::2], then a stride-1 1x1 convolution; our
# SubsampledProjection) against one strided 1x1 convolution, forward + backward, batch 256, in the
# peer's PyTorch. usage: python3 benchmarks/peer/shortcut_cost.py THREADS (docs/benchmarks.md)
import torch, time, sys
torch.set_num_threads(int(sys.argv[1]))
torch.manual_seed(0)
def bench(f, reps=5):
    f(); f()
    ts=[]
    for _ in range(reps):
        t=time.perf_counter(); f(); ts.append(time.perf_counter()-t)
    return 1000*sorted(ts)[len(ts)//2]
print("torch", torch.__version__, "mkldnn", torch.backends.mkldnn.is_available())
for cin, side in [(64, 32), (128, 16), (256, 8)]:
    x = torch.randn(256, cin, side, side, requires_grad=True)
    strided = torch.nn.Conv2d(cin, 2*cin, 1, stride=2, bias=False)
    plain = torch.nn.Conv2d(cin, 2*cin, 1, stride=1, bias=False)
    plain.weight.data.copy_(strided.weight.data)
    def a():
        y = strided(x); y.sum().backward()
    def b():
        y = plain(x[:, :, ::2, ::2]); y.sum().backward()
    print(f"cin {cin} side {side}: strided {bench(a):.1f} ms, subsampled {bench(b):.1f} ms (fwd+bwd, batch 256)")
