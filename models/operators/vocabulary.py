"""Video descriptor phrases by kind, the mutation material of the lexical operator.

Kinds matter because video models differ in which they reward: one likes camera and lighting words,
another scene and style detail, so the operator adds, swaps and drops phrases kind by kind.
"""

DESCRIPTORS: dict[str, tuple[str, ...]] = {
    "camera": (
        "camera pans left slowly", "camera pans right slowly", "tracking shot", "static camera",
        "close-up shot", "wide shot", "low angle shot", "aerial view", "drone shot", "handheld camera",
        "the camera slowly zooms in", "the camera slowly zooms out", "crane shot", "steady camera",
    ),
    "lighting": (
        "soft golden hour light", "bright daylight", "cool blue moonlight", "dappled sunlight", "neon glow",
        "rim light", "warm light at sunset", "soft natural light", "dramatic lighting", "backlit",
        "warm candlelight", "overcast light", "studio lighting", "twilight glow",
    ),
    "scene": (  # background detail that adds no new place or action, so the meaning stays
        "lush detailed background", "detailed surroundings", "rich textures in the background",
        "a softly blurred backdrop", "detailed scenery", "misty atmosphere in the distance",
        "soft shadows on the ground", "subtle reflections", "a clean uncluttered background",
        "detailed environment", "depth and scale in the landscape", "delicate details in the setting",
    ),
    "style": (
        "cinematic", "photorealistic", "film grain", "vibrant hues", "pastel tones", "watercolor painting",
        "oil painting", "black and white", "vintage", "hyper-realistic", "anime",
    ),
    "quality": (
        "sharp focus", "highly detailed", "4k", "8k", "crisp and clear", "intricate details",
        "high-resolution", "ultra realistic",
    ),
    "motion": (
        "smooth motion", "slow motion", "fluid natural movement", "moving gently", "steady continuous motion",
    ),
}

KIND_OF: dict[str, str] = {phrase: kind for kind, phrases in DESCRIPTORS.items() for phrase in phrases}
