/** The device types in the end user's words, in the order the guided form offers them. */
export const TYPE_NAMES: Record<string, string> = {
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
};
