"""The PyTorch references' data, shared by simsiam_train.py and method_train.py: pixels decoded by the
service's own decoder (bench/fashion-mnist/pixels.ts writes <prefix>.u8 [N, S, S, C] at the training
decode size, <prefix>.labels.u8 [N] and <prefix>.json), the engine's augmentation (augment.ts) for one
channel, its evaluation view (features.ts) and the service's kNN (monitors.ts knnPredict)."""
import json
import math

import numpy as np
import torch
import torch.nn.functional as F

# augment.ts NORMALIZATION for one channel (luma-weighted ImageNet statistics)
MEAN, STD = 0.449, 0.226
# runEvaluation.ts KNN_RECIPE
KNN = {'k': 200, 'temperature': 0.1}
# the engine's augment defaults (config.ts augmentProperties) that apply to one channel
AUGMENT_DEFAULTS = {'cropScaleMin': 0.2, 'cropScaleMax': 1.0, 'colorJitterProb': 0.8, 'brightness': 0.4, 'contrast': 0.4,
                    'blur': 'auto', 'horizontalFlip': True}


def load(prefix):
    """uint8 images [N, S, S, C] as float [N, C, S, S] in [0, 1], and labels (None when absent)."""
    with open(f'{prefix}.json') as f:
        meta = json.load(f)
    raw = np.fromfile(f'{prefix}.u8', dtype=np.uint8).reshape(meta['count'], meta['size'], meta['size'], meta['channels'])
    images = torch.from_numpy(raw).permute(0, 3, 1, 2).float().div_(255)
    labels = torch.from_numpy(np.fromfile(f'{prefix}.labels.u8', dtype=np.uint8).astype(np.int64)) if meta.get('labeled') else None
    return images, labels


def crop_grids(n, side, out, scale, flip, gen):
    """augment.ts sampleCrop + cropBox + flip as affine sampling grids: torchvision's RandomResizedCrop
    parameters (10 tries, then a centre crop), sampled at half-pixel centres like cropAndResize."""
    theta = torch.zeros(n, 2, 3)
    log_ratio = (math.log(3 / 4), math.log(4 / 3))
    for i in range(n):
        ch = cw = side
        top = left = 0
        for _ in range(10):
            area = side * side * (scale[0] + (scale[1] - scale[0]) * torch.rand(1, generator=gen).item())
            ratio = math.exp(log_ratio[0] + (log_ratio[1] - log_ratio[0]) * torch.rand(1, generator=gen).item())
            w, h = round(math.sqrt(area * ratio)), round(math.sqrt(area / ratio))
            if 0 < w <= side and 0 < h <= side:
                top = int(torch.randint(0, side - h + 1, (1,), generator=gen))
                left = int(torch.randint(0, side - w + 1, (1,), generator=gen))
                ch, cw = h, w
                break
        mirror = -1.0 if flip and torch.rand(1, generator=gen).item() < 0.5 else 1.0
        # normalised coordinates (align_corners=False): centre and half-extent of the crop
        theta[i, 0, 0] = mirror * cw / side
        theta[i, 0, 2] = (2 * left + cw) / side - 1
        theta[i, 1, 1] = ch / side
        theta[i, 1, 2] = (2 * top + ch) / side - 1
    return F.affine_grid(theta, (n, 1, out, out), align_corners=False)


def view(images, out, gen, augment=AUGMENT_DEFAULTS, scale=None):
    """augment.ts for one channel: crop (`scale`, default the config's) + flip, brightness and contrast
    jitter (clamped after each like torchvision; saturation, hue and grayscale do not apply), normalise.
    Blur is not written here: the engine turns it off below 64 px ('auto')."""
    if images.shape[1] != 1:
        raise ValueError('the reference augmentation is written for one channel')
    if augment['blur'] == 'on' or (augment['blur'] == 'auto' and out >= 64):
        raise ValueError('the reference augmentation has no blur (the engine blurs from 64 px, or with blur on)')
    n = images.shape[0]
    scale = scale or (augment['cropScaleMin'], augment['cropScaleMax'])
    grids = crop_grids(n, images.shape[-1], out, scale, augment['horizontalFlip'], gen)
    x = F.grid_sample(images, grids, mode='bilinear', padding_mode='border', align_corners=False)
    on = (torch.rand(n, generator=gen) < augment['colorJitterProb']).float().view(n, 1, 1, 1)

    def factor(amount):
        low = max(0.0, 1 - amount)
        return 1 + on * (low + torch.rand(n, 1, 1, 1, generator=gen) * (1 + amount - low) - 1)

    x = (x * factor(augment['brightness'])).clamp_(0, 1)
    c = factor(augment['contrast'])
    x = (x * c + x.mean(dim=(1, 2, 3), keepdim=True) * (1 - c)).clamp_(0, 1)
    return (x - MEAN) / STD


def eval_view(images, out):
    """features.ts evalView: the central 1/1.15 of the decoded image, resized to the training size."""
    side = images.shape[-1]
    crop = max(out, round(side / 1.15)) if side > out else side
    start = (side - crop) // 2
    x = images[:, :, start:start + crop, start:start + crop]
    if crop != out:
        x = F.interpolate(x, size=(out, out), mode='bilinear', align_corners=False)
    return (x - MEAN) / STD


@torch.no_grad()
def features(embed, images, out, batch=512):
    """`embed` (a backbone in evaluation mode) over the evaluation views of `images`."""
    return torch.cat([embed(eval_view(images[i:i + batch], out)) for i in range(0, len(images), batch)])


def knn_top1(bank, bank_labels, queries, query_labels, classes):
    """monitors.ts knnPredict: cosine, top-k neighbours vote with weight exp(sim / T)."""
    bank, queries = F.normalize(bank, dim=1), F.normalize(queries, dim=1)
    k = min(KNN['k'], len(bank))
    hits = 0
    for i in range(0, len(queries), 256):
        sims, idx = (queries[i:i + 256] @ bank.T).topk(k, dim=1)
        votes = torch.zeros(len(sims), classes).scatter_add_(1, bank_labels[idx], (sims / KNN['temperature']).exp())
        hits += (votes.argmax(1) == query_labels[i:i + 256]).sum().item()
    return hits / len(queries)
