"""The simulated marketplace's vocabularies: each topic's words, and words any post may use.

A post's text is drawn mostly from its topic's words (`unifeed.sim.world`),
which is the only thing a ranker can use to place an item nobody has touched
yet; the demographic tilts of each topic live with the world.
"""

from __future__ import annotations

# Each topic and its 30 plausible words.
TOPICS: dict[str, str] = {
    "cooking": (
        "recipe pasta garlic oven simmer sauce bake dough spices kitchen chef dinner "
        "roast flavour tomato basil butter skillet broth noodles curry marinade salad "
        "knife grill dessert pastry onion lemon seasoning"
    ),
    "football": (
        "goal striker match league penalty keeper derby stadium coach midfield tackle "
        "offside referee transfer kickoff fans season defender header corner trophy "
        "dribble squad fixture winger volley pitch cup assist halftime"
    ),
    "gaming": (
        "console controller level boss quest multiplayer speedrun patch loot raid "
        "respawn pixel arcade indie shooter rpg esports stream headset lag dungeon "
        "character skins gamepad leaderboard sandbox platformer achievement checkpoint "
        "glitch"
    ),
    "gardening": (
        "seedlings compost tomatoes soil pruning roses bulbs greenhouse mulch watering "
        "shrubs perennials harvest allotment weeds trowel hedge orchard blossom "
        "fertiliser herbs potting lawn raised beds succulents vines germination "
        "cuttings trellis"
    ),
    "travel": (
        "flight passport hostel itinerary backpack beach island airport luggage museum "
        "hiking sunset road trip train visa journey coastline village landmark cruise "
        "souvenir map explore booking guesthouse ferry jetlag destination scenic"
    ),
    "fitness": (
        "workout squats deadlift cardio treadmill protein reps gym stretching marathon "
        "running sprint yoga kettlebell plank pushups endurance muscles trainer "
        "cycling recovery hydration burpees dumbbells core mobility warmup lunges "
        "rowing stamina"
    ),
    "music": (
        "guitar album chorus melody drummer concert vinyl playlist bassline synth "
        "lyrics band tour acoustic piano chords studio remix festival singer tempo "
        "riff headphones jazz orchestra encore mixtape violin ballad saxophone"
    ),
    "photography": (
        "camera lens aperture shutter exposure tripod portrait landscape film bokeh "
        "zoom flash editing lightroom prime sensor framing composition golden hour raw "
        "histogram telephoto macro darkroom monochrome mirrorless viewfinder print "
        "shoot"
    ),
    "technology": (
        "laptop software startup cloud smartphone chip battery update developer code "
        "server robot gadget processor browser network privacy app keyboard algorithm "
        "encryption database linux opensource firmware gigabit wearable bandwidth "
        "launch upgrade"
    ),
    "fashion": (
        "outfit dress sneakers denim jacket runway designer vintage fabric tailoring "
        "accessories handbag boots streetwear wardrobe silk collection stylist trend "
        "lookbook jewellery knitwear scarf blazer couture sustainable thrift pattern "
        "hemline catwalk"
    ),
    "finance": (
        "budget savings stocks dividend portfolio inflation mortgage pension index "
        "fund interest rates crypto invoice taxes credit debt frugal investing shares "
        "bonds retirement market earnings spreadsheet cashflow compound broker savvy "
        "ledger"
    ),
    "parenting": (
        "toddler bedtime nursery diapers school homework playground newborn siblings "
        "tantrum lullaby stroller daycare naptime teething storybook crayons parents "
        "kids family milestones babysitter lunchbox routine cuddles puzzle sandpit "
        "potty bathtime playdate"
    ),
    "pets": (
        "puppy kitten leash vet adoption grooming treats litter aquarium parrot "
        "hamster fetch tail paws collar rescue shelter kibble purring barking training "
        "walkies whiskers bunny tortoise fur cage chew goldfish hutch"
    ),
    "cars": (
        "engine horsepower turbo gearbox sedan hatchback electric charging mileage "
        "tyres brakes exhaust roadtrip dashboard torque convertible garage mechanic "
        "restoration classic racing track suspension clutch diesel hybrid wheels "
        "paintwork drift sportscar"
    ),
    "movies": (
        "trailer director cinema sequel screenplay actor premiere blockbuster popcorn "
        "plot twist soundtrack scene casting documentary thriller comedy animation "
        "oscar review franchise villain remake box office streaming credits cameo "
        "screening matinee"
    ),
    "science": (
        "telescope galaxy experiment molecule physics chemistry biology fossil genome "
        "laboratory microscope quantum climate volcano planet orbit research "
        "hypothesis particle neuron evolution asteroid satellite data theory bacteria "
        "eclipse comet fusion enzyme"
    ),
}

# Words any post may use, whatever its topic.
_GENERIC_WORDS = (
    "today really new love check out this week great best just time first little "
    "some more favourite finally sharing thoughts quick tips story honest simple "
    "everyone weekend morning amazing guide why how what easy"
)
GENERIC: tuple[str, ...] = tuple(_GENERIC_WORDS.split())
