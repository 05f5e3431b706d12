/**
 * What the end user's pages say, in English: the catalogue every other language follows key for key
 * (./index.ts; a test fails when one lacks a key). Plain words for households: short sentences, no
 * jargon, the same word for the same thing on every page.
 */
export const en = () => ({
  frame: {
    brand: 'Energy account connection',
    footer: 'Secure link. You can close this page when you are done.',
    languages: 'Language',
  },
  /** A request's status, as the status badge shows it: in English, the API's own word, to quote to support. */
  status: {
    Pending: 'Pending',
    Processing: 'Processing',
    Succeeded: 'Succeeded',
    Failed: 'Failed',
    Canceled: 'Canceled',
  },
  collectiveTypes: {
    Community: 'Community',
    Household: 'Household',
    Fleet: 'Fleet',
    SolarFarm: 'Solar farm',
    WindFarm: 'Wind farm',
    VirtualPowerPlant: 'Virtual power plant',
  },
  /** A device with its maker, as a line of the details shows it. */
  product: (manufacturer: string, device: string) => `${manufacturer} ${device}`,
  devices: {
    Battery: 'Home battery',
    ChargePoint: 'Charge point',
    EV: 'Electric vehicle',
    HeatPump: 'Heat pump',
    Inverter: 'Inverter',
    Meter: 'Meter',
    PV: 'Solar panels',
    RetrofitMeter: 'Retrofit meter',
    SmartMeter: 'Smart meter',
    SolarPlant: 'Solar plant',
  },
  /** A device's name inside a sentence. */
  inSentence: (device: string) => device.toLowerCase(),
  consent: {
    title: 'Connect your energy account',
    someone: 'Your energy provider',
    heading: (asker: string) => `${asker} asks to connect your energy data`,
    /** The heading once nothing is waiting for the end user, by status. */
    decided: {
      Pending: 'Waiting for your decision',
      Processing: 'Approved: the connection is being set up',
      Succeeded: 'Connected',
      Failed: 'The connection failed',
      Canceled: 'Not connected',
    },
    terms: {
      requestedBy: 'Requested by',
      site: 'What',
      siteType: 'Kind',
      device: 'Device',
      manufacturer: 'Manufacturer',
      model: 'Model',
      status: 'Status',
    },
    yourSite: 'Your site',
    statement: (asker: string) =>
      `If you approve, ${asker} can read and manage this connection on the Realto energy platform. You can withdraw it later through them.`,
    howItWorks: 'How this works',
    decision: 'Your decision',
    approve: 'Approve',
    decline: 'Decline',
    nothingMore: 'Nothing more to do here.',
    receipt: 'Download your consent receipt',
    receiptNote: '(signed proof of your decision, to keep)',
    decidedAlready: 'This was decided already. Nothing was changed.',
  },
  guided: {
    title: (manufacturer: string) => `Connect your ${manufacturer} device`,
    heading: (company: string, manufacturer: string, device: string) => `${company} asks to connect your ${manufacturer} ${device}`,
    aDevice: 'device',
    intro: 'Tell us which device it is. We use these details only to find it on the Realto energy platform.',
    form: 'Your device',
    type: 'Type of device',
    choose: 'Choose…',
    model: 'Model',
    identifiers: {
      vin: { label: 'Vehicle identification number (VIN)', hint: '17 letters and digits, on the registration papers' },
      ean: { label: 'Meter number (EAN)', hint: '8 to 18 digits, on your energy bill' },
      reference: { label: 'Serial number', hint: "On the device's label" },
      any: { label: 'Serial number, VIN (cars) or EAN (meters)', hint: "On the device's label, the registration papers or your energy bill" },
    },
    agreement: (company: string) => `I agree that ${company} connects this device to the Realto energy platform and reads its energy data.`,
    submit: 'Connect my device',
    fix: 'Please correct what is marked below.',
    errors: {
      type: 'Choose the type of device.',
      model: 'Enter the model, in at most 100 characters.',
      identifier: (label: string) => `${label}: this does not look right. Check it and try again.`,
      identifierMissing: (label: string) => `Enter the ${label.charAt(0).toLowerCase()}${label.slice(1)}.`,
      consent: 'Tick the box to agree, or close this page if you do not.',
    },
    sentTitle: 'Your device is being connected',
    thanks: 'Thank you',
    sent: 'Your details were sent. You can close this page.',
    alreadyTitle: 'Already submitted',
    already: 'You have sent these details already. Nothing more was created.',
    requestedBy: 'Requested by',
    device: 'Device',
    status: 'Status',
    receipt: 'Download your consent receipt',
    receiptNote: '(signed proof of your consent, to keep)',
    back: (company: string) => `Back to ${company}`,
  },
  /** What a person is told when a page cannot be used, by status: what they can do, never the cause. */
  errors: {
    400: { title: 'This form could not be used', message: 'Something in what was sent is not right. Go back to the page and try again.' },
    403: { title: 'This form could not be used', message: 'Please start again from the link you were given.' },
    404: { title: 'This link does not work', message: 'The link may have been mistyped or changed. Ask whoever sent it for a new one.' },
    405: { title: 'This page cannot do that', message: 'Please start again from the link you were given.' },
    409: { title: 'Already done', message: 'This was decided already. Nothing was changed.' },
    410: { title: 'This link has expired', message: 'Ask whoever sent it for a new one.' },
    413: { title: 'This form is too large', message: 'Go back to the page and try again.' },
    415: { title: 'This form could not be used', message: 'Please send the form from the page itself.' },
    500: { title: 'Something went wrong', message: 'Nothing was changed. Please try again in a moment.' },
  },
});

/** The shape every language's catalogue has: the same keys, the same parameters. */
export type Catalogue = ReturnType<typeof en>;
